/* SPDX-License-Identifier: Apache-2.0 */
/* privsep: dropping the front's privileges (see privsep.h). OPS-1, NET-3. */
#define _DEFAULT_SOURCE /* setgroups(2) */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/privsep.h"

static int
empty_root_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		hk_error_f("mkdir %s: %s", dir, strerror(errno));
		return HK_EIO;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022) != 0 || st.st_nlink != 2) {
		hk_error_f("%s must be an empty directory owned by root and not "
			   "writable by others", dir);
		return HK_EDENIED;
	}
	return 0;
}

/** hk_privsep_drop(user, empty_dir): give up privileges for good. */
int
hk_privsep_drop(const char *user, const char *empty_dir)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int r;

	if (geteuid() == 0) {
		if ((pw = getpwnam(user)) == NULL) {
			hk_error_f("no user %s for the network front (hanko init "
				   "creates it; or: useradd --system %s)", user,
			    user);
			return HK_ECONFIG;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (uid == 0) {
			hk_error_f("the front user %s must not be root", user);
			return HK_ECONFIG;
		}
		if ((r = empty_root_dir(empty_dir)) != 0)
			return r;
		if (chroot(empty_dir) != 0 || chdir("/") != 0) {
			hk_error_f("chroot %s: %s", empty_dir, strerror(errno));
			return HK_EIO;
		}
		if (setgroups(0, NULL) != 0 || setgid(gid) != 0 ||
		    setuid(uid) != 0) {
			hk_error_f("cannot become %s: %s", user, strerror(errno));
			return HK_EIO;
		}
		/* WARNING: a dropped uid that can be taken back is no drop. */
		if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0) {
			hk_error_f("root could be regained after dropping to %s",
			    user);
			return HK_EDENIED;
		}
	} else {
		hk_warn_f("not started as root: the front keeps uid %ld (start "
			  "hankod as root, or from systemd, for a separate "
			  "user)", (long)geteuid());
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		hk_error_f("prctl: %s", strerror(errno));
		return HK_EIO;
	}
	return 0;
}
