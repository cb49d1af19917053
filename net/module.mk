# net/: the unprivileged network front's building blocks: strict HTTP/1.1
# framing and responses, TLS over memory BIOs (no sockets, no libuv here).
LIB_SRCS += net/http.c net/tls.c
