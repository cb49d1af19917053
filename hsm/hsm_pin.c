/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_pin: reads the token's user PIN from a protected file (NET-4). The
 * PIN never comes from the command line (where ps(1) shows it) and is
 * never logged; a file that group or others may access is refused, as
 * OpenSSH refuses a private key file with loose permissions.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "hsm/hsm_internal.h"

/** hsm_pin_read(path, pin, pinlen): read and check the PIN file. */
int
hsm_pin_read(const char *path, uint8_t *pin, size_t *pinlen)
{
	uint8_t buf[HSM_PIN_MAX + 2];
	struct stat st;
	size_t n = 0;
	ssize_t m;
	int fd = -1, r = HK_EIO;

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0) {
		hk_error_f("cannot open the PIN file %s: %s", path,
		    strerror(errno));
		goto out;
	}
	/* fstat on the opened file, so what is checked is what is read. */
	if (fstat(fd, &st) != 0) {
		hk_error_f("fstat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		hk_error_f("the PIN file %s is not a regular file", path);
		r = HK_EINVAL;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		hk_error_f("the PIN file %s has mode %04o: group and others "
			   "must have no access (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		r = HK_EDENIED;
		goto out;
	}
	for (;;) {
		m = read(fd, buf + n, sizeof(buf) - n);
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0) {
			hk_error_f("read %s: %s", path, strerror(errno));
			goto out;
		}
		if (m == 0)
			break;
		n += (size_t)m;
		if (n == sizeof(buf)) {
			hk_error_f("the PIN in %s is longer than %d bytes",
			    path, HSM_PIN_MAX);
			r = HK_ETOOBIG;
			goto out;
		}
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		hk_error_f("the PIN file %s is empty", path);
		r = HK_EINVAL;
		goto out;
	}
	if (n > HSM_PIN_MAX) {
		hk_error_f("the PIN in %s is longer than %d bytes", path,
		    HSM_PIN_MAX);
		r = HK_ETOOBIG;
		goto out;
	}
	memcpy(pin, buf, n);
	*pinlen = n;
	r = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return r;
}
