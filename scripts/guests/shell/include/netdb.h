/* netdb.h for busybox on wasm32-wasi (wasi-libc has none). busybox's
 * libbb.h includes it for its networking helpers, which the shell image
 * compiles but never links (no networking applets): only the names those
 * helpers mention are here. */
#ifndef WB_NETDB_H
#define WB_NETDB_H
#include <sys/socket.h>

/* socket types wasi-libc leaves out; libbb.h checks that its socktype_t
 * holds them all (Linux's values) */
#ifndef SOCK_RAW
#define SOCK_RAW 3
#define SOCK_RDM 4
#define SOCK_SEQPACKET 5
#endif

struct hostent {
    char *h_name, **h_aliases;
    int h_addrtype, h_length;
    char **h_addr_list;
};
#define h_addr h_addr_list[0]
struct servent {
    char *s_name, **s_aliases;
    int s_port;
    char *s_proto;
};
struct netent {
    char *n_name, **n_aliases;
    int n_addrtype;
    unsigned n_net;
};
struct addrinfo {
    int ai_flags, ai_family, ai_socktype, ai_protocol;
    socklen_t ai_addrlen;
    struct sockaddr *ai_addr;
    char *ai_canonname;
    struct addrinfo *ai_next;
};

extern int h_errno;
#define HOST_NOT_FOUND 1
#define TRY_AGAIN 2
#define NO_RECOVERY 3
#define NO_DATA 4
#define AI_PASSIVE 0x01
#define AI_CANONNAME 0x02
#define AI_NUMERICHOST 0x04
#define AI_NUMERICSERV 0x400
#define NI_NUMERICHOST 0x01
#define NI_NUMERICSERV 0x02
#define NI_NAMEREQD 0x08
#define NI_DGRAM 0x10
#define NI_MAXHOST 255
#define NI_MAXSERV 32
#define EAI_NONAME -2
#define EAI_SYSTEM -11

struct hostent *gethostbyname(const char *name);
struct netent *getnetbyname(const char *name);
struct servent *getservbyname(const char *name, const char *proto);
int getaddrinfo(const char *node, const char *service,
                const struct addrinfo *hints, struct addrinfo **res);
void freeaddrinfo(struct addrinfo *ai);
const char *gai_strerror(int err);
int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
                socklen_t hostlen, char *serv, socklen_t servlen, int flags);
const char *hstrerror(int err);
#endif
