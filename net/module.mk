# net/: the unprivileged network front: strict HTTP/1.1 framing and
# responses, TLS over memory BIOs (no sockets there), strict JSON request
# bodies, and the libuv loop that drives them (front.c).
LIB_SRCS += net/http.c net/tls.c net/json.c net/route.c net/front.c
