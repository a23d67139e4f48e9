/*
 * swarmlab probe: the workload and the traffic generator in one static binary.
 *
 *   probe serve [PORT]      HTTP server; every answer is the replica's identity as JSON.
 *   probe get TARGET [opts] HTTP client; one JSON line per request on stdout.
 *   probe resolve NAME...   the IPv4 addresses each NAME resolves to, a JSON line each.
 *
 * Why C and not busybox or a script: under software emulation a fork per request
 * caps a run at ~40 requests/s, and Debian's static busybox crashes in its
 * network applets inside containers. One process with an epoll loop (server)
 * and a few threads (client) keeps the cost per request at a connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- server */

static char identity[2048];
static size_t identity_len;

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

/* JSON-escapes the few characters that can appear in names and addresses. */
static void append_json_string(char *out, size_t cap, const char *s) {
  size_t n = strlen(out);
  if (n + 2 >= cap) return;
  out[n++] = '"';
  for (; *s && n + 3 < cap; s++) {
    if (*s == '"' || *s == '\\') out[n++] = '\\';
    out[n++] = (*s >= 0x20) ? *s : '?';
  }
  out[n++] = '"';
  out[n] = 0;
}

static void build_identity(void) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  char body[1800] = "{\"hostname\":";
  append_json_string(body, sizeof body, host);
  strcat(body, ",\"service\":");
  append_json_string(body, sizeof body, env_or("SWARMLAB_SERVICE", ""));
  strcat(body, ",\"task\":");
  append_json_string(body, sizeof body, env_or("SWARMLAB_TASK", ""));
  strcat(body, ",\"slot\":");
  append_json_string(body, sizeof body, env_or("SWARMLAB_SLOT", ""));
  strcat(body, ",\"node\":");
  append_json_string(body, sizeof body, env_or("SWARMLAB_NODE", ""));
  strcat(body, ",\"addresses\":[");
  struct ifaddrs *ifs = NULL, *it;
  int first = 1;
  if (getifaddrs(&ifs) == 0) {
    for (it = ifs; it; it = it->ifa_next) {
      if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET || strcmp(it->ifa_name, "lo") == 0) continue;
      char ip[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &((struct sockaddr_in *)it->ifa_addr)->sin_addr, ip, sizeof ip);
      if (!first) strcat(body, ",");
      append_json_string(body, sizeof body, ip);
      first = 0;
    }
    freeifaddrs(ifs);
  }
  strcat(body, "]}\n");
  identity_len = (size_t)snprintf(identity, sizeof identity,
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
}

struct conn { int fd; size_t got; char buf[2048]; };

/* SIGTERM is how Docker stops a task: Swarm takes the task out of the load balancer first, then signals it.
   The server then does what a well-behaved one does: it stops accepting, answers the connections it has for up
   to a second, and exits (ignoring it, as PID 1 does by default, costs every stop the 10 s grace period). */
static volatile sig_atomic_t terminating = 0;
static void stop_serving(int sig) { (void)sig; terminating = 1; }

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int serve(int port) {
  signal(SIGPIPE, SIG_IGN);
  struct sigaction term = { .sa_handler = stop_serving };  /* no SA_RESTART: epoll_wait returns at once */
  sigaction(SIGTERM, &term, NULL);
  sigaction(SIGINT, &term, NULL);
  build_identity();
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr.s_addr = INADDR_ANY };
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 1024) < 0) { perror("probe serve: bind/listen"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  fprintf(stderr, "probe: serving on :%d\n", port);
  struct epoll_event events[64];
  long open_conns = 0;
  double drain_until = 0;
  for (;;) {
    if (terminating && ls >= 0) {
      epoll_ctl(ep, EPOLL_CTL_DEL, ls, NULL);
      close(ls);
      ls = -1;
      drain_until = now_ms() + 1000;
      fprintf(stderr, "probe: SIGTERM, answering %ld open connections for up to 1 s\n", open_conns);
    }
    if (ls < 0 && (open_conns == 0 || now_ms() >= drain_until)) return 0;
    int n = epoll_wait(ep, events, 64, ls < 0 ? 50 : -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          struct conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          open_conns++;
          struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc };
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      int closing = 0;
      for (;;) {
        ssize_t r = read(c->fd, c->buf + c->got, sizeof c->buf - 1 - c->got);
        if (r > 0) { c->got += (size_t)r; c->buf[c->got] = 0; }
        else { if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) closing = 1; break; }
        /* Answer every complete request in the buffer (keep-alive clients send one at a time). */
        char *end;
        while ((end = strstr(c->buf, "\r\n\r\n")) != NULL) {
          int close_after = strcasestr(c->buf, "Connection: close") != NULL && strcasestr(c->buf, "Connection: close") < end;
          if (write(c->fd, identity, identity_len) < 0) closing = 1;
          size_t used = (size_t)(end + 4 - c->buf);
          memmove(c->buf, end + 4, c->got - used + 1);
          c->got -= used;
          if (close_after) closing = 1;
        }
        if (c->got >= sizeof c->buf - 1) closing = 1;
        if (closing) break;
      }
      if (closing || (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        free(c);
        open_conns--;
      }
    }
  }
}

/* ---------------------------------------------------------------- client */

static const char *target_host;
static int target_port = 80;
static long total = 100, next_index = 0;
static int timeout_ms = 5000, keepalive = 0, resolve_each = 0;
/* A target that answers nothing would cost every request its whole timeout: after this many failures
   without a single answer the client stops taking new requests (0: never). */
static long give_up_after = 0, failures = 0, answers = 0;
/* Traffic that runs while something else happens (a scenario step): requests until duration_ms has passed
   or SIGTERM/SIGINT arrives, each worker starting one at most every interval_ms. */
static long duration_ms = 0, interval_ms = 0;
static volatile sig_atomic_t stopping = 0;

static void stop_requests(int sig) { (void)sig; stopping = 1; }
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sockaddr_in resolved;
/* When the first request started: each record says when its request started relative to it ("at"), so the
   client's own rate can be told apart from the time docker exec takes to start it. */
static double client_start;

static int resolve(struct sockaddr_in *out, char *err, size_t errcap) {
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;
  int rc = getaddrinfo(target_host, NULL, &hints, &res);
  if (rc != 0 || !res) { snprintf(err, errcap, "dns: %s", gai_strerror(rc)); return -1; }
  *out = *(struct sockaddr_in *)res->ai_addr;
  out->sin_port = htons((unsigned short)target_port);
  freeaddrinfo(res);
  return 0;
}

/* Waits for fd to be ready, bounded by the request's remaining time. */
static int wait_fd(int fd, short what, double deadline) {
  int left = (int)(deadline - now_ms());
  if (left <= 0) return 0;
  struct pollfd p = { .fd = fd, .events = what };
  return poll(&p, 1, left) > 0;
}

static int connect_to(struct sockaddr_in *to, double deadline, char *err, size_t errcap) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)to, sizeof *to) < 0 && errno != EINPROGRESS) {
    snprintf(err, errcap, "connect: %s", strerror(errno)); close(fd); return -1;
  }
  if (!wait_fd(fd, POLLOUT, deadline)) { snprintf(err, errcap, "connect: timeout"); close(fd); return -1; }
  int soerr = 0; socklen_t len = sizeof soerr;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
  if (soerr) { snprintf(err, errcap, "connect: %s", strerror(soerr)); close(fd); return -1; }
  return fd;
}

/* One request on fd; fills body with the JSON identity. Returns 0 on success. */
static int exchange(int fd, double deadline, char *body, size_t cap, char *err, size_t errcap) {
  char req[256];
  int len = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: %s\r\n\r\n", target_host, keepalive ? "keep-alive" : "close");
  if (write(fd, req, (size_t)len) != len) { snprintf(err, errcap, "write: %s", strerror(errno)); return -1; }
  char buf[4096]; size_t got = 0;
  for (;;) {
    if (!wait_fd(fd, POLLIN, deadline)) { snprintf(err, errcap, "read: timeout"); return -1; }
    ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (r <= 0) { snprintf(err, errcap, r == 0 ? "read: connection closed" : "read: %s", strerror(errno)); return -1; }
    got += (size_t)r; buf[got] = 0;
    char *hdr_end = strstr(buf, "\r\n\r\n");
    if (!hdr_end) continue;
    char *cl = strcasestr(buf, "Content-Length:");
    size_t want = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    size_t have = got - (size_t)(hdr_end + 4 - buf);
    if (have < want) continue;
    snprintf(body, cap, "%.*s", (int)want, hdr_end + 4);
    size_t bl = strlen(body);
    while (bl && (body[bl - 1] == '\n' || body[bl - 1] == '\r')) body[--bl] = 0;
    return 0;
  }
}

static void *client_worker(void *arg) {
  (void)arg;
  int fd = -1;
  for (;;) {
    pthread_mutex_lock(&lock);
    int hopeless = give_up_after > 0 && answers == 0 && failures >= give_up_after;
    int over = stopping || (duration_ms > 0 && now_ms() - client_start >= duration_ms);
    long i = next_index < total && !hopeless && !over ? next_index++ : -1;
    pthread_mutex_unlock(&lock);
    if (i < 0) break;
    char err[160] = "", body[2048] = "", ip[INET_ADDRSTRLEN] = "";
    double start = now_ms(), deadline = start + timeout_ms;
    static __thread double last_start = 0;
    if (interval_ms > 0 && last_start > 0 && start - last_start < interval_ms) {
      usleep((useconds_t)((interval_ms - (start - last_start)) * 1000));
      start = now_ms();
      deadline = start + timeout_ms;
    }
    last_start = start;
    struct sockaddr_in to = resolved;
    int ok = 0;
    if (resolve_each && resolve(&to, err, sizeof err) < 0) goto report;
    inet_ntop(AF_INET, &to.sin_addr, ip, sizeof ip);
    if (fd < 0 && (fd = connect_to(&to, deadline, err, sizeof err)) < 0) goto report;
    if (exchange(fd, deadline, body, sizeof body, err, sizeof err) == 0) ok = 1;
    if (!ok || !keepalive) { close(fd); fd = -1; }
  report:;
    double ms = now_ms() - start, at = start - client_start;
    pthread_mutex_lock(&lock);
    if (ok) answers++; else failures++;
    if (ok) printf("{\"i\":%ld,\"at\":%.3f,\"ok\":true,\"ms\":%.3f,\"to\":\"%s\",\"reply\":%s}\n", i, at, ms, ip, body);
    else printf("{\"i\":%ld,\"at\":%.3f,\"ok\":false,\"ms\":%.3f,\"to\":\"%s\",\"error\":\"%s\"}\n", i, at, ms, ip, err);
    pthread_mutex_unlock(&lock);
  }
  if (fd >= 0) close(fd);
  return NULL;
}

static int get(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  int concurrency = 1;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-n") && v) { total = atol(v); i++; }
    else if (!strcmp(a, "-c") && v) { concurrency = atoi(v); i++; }
    else if (!strcmp(a, "--timeout-ms") && v) { timeout_ms = atoi(v); i++; }
    else if (!strcmp(a, "--keepalive")) keepalive = 1;
    else if (!strcmp(a, "--resolve-each")) resolve_each = 1;
    else if (!strcmp(a, "--give-up-after") && v) { give_up_after = atol(v); i++; }
    else if (!strcmp(a, "--duration-ms") && v) { duration_ms = atol(v); total = 1L << 40; i++; }
    else if (!strcmp(a, "--interval-ms") && v) { interval_ms = atol(v); i++; }
    else if (!strcmp(a, "--tag") && v) i++; /* only names the process, for the pkill that stops it */
    else if (!target_host) {
      static char host[256];
      snprintf(host, sizeof host, "%s", a);
      char *colon = strrchr(host, ':');
      if (colon) { *colon = 0; target_port = atoi(colon + 1); }
      target_host = host;
    } else { fprintf(stderr, "probe get: unexpected argument %s\n", a); return 2; }
  }
  if (!target_host || total < 1 || concurrency < 1 || concurrency > 256 || timeout_ms < 1) {
    fprintf(stderr, "usage: probe get HOST[:PORT] [-n N | --duration-ms MS] [-c 1..256] [--interval-ms MS] [--timeout-ms MS]"
                    " [--keepalive] [--resolve-each] [--give-up-after N] [--tag NAME]\n");
    return 2;
  }
  signal(SIGTERM, stop_requests);
  signal(SIGINT, stop_requests);
  char err[160];
  if (!resolve_each && resolve(&resolved, err, sizeof err) < 0) { fprintf(stderr, "probe get: %s: %s\n", target_host, err); return 1; }
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  client_start = now_ms();
  pthread_t threads[256];
  for (int t = 0; t < concurrency; t++) pthread_create(&threads[t], NULL, client_worker, NULL);
  for (int t = 0; t < concurrency; t++) pthread_join(threads[t], NULL);
  fflush(stdout);
  return 0;
}

/* Prints every IPv4 address a name resolves to, as a JSON array (Swarm's embedded DNS answers). */
static int resolve_name(const char *name) {
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL, *it;
  int rc = getaddrinfo(name, NULL, &hints, &res);
  if (rc != 0) { printf("{\"name\":\"%s\",\"error\":\"%s\",\"addresses\":[]}\n", name, gai_strerror(rc)); return 1; }
  printf("{\"name\":\"%s\",\"addresses\":[", name);
  int first = 1;
  for (it = res; it; it = it->ai_next) {
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &((struct sockaddr_in *)it->ai_addr)->sin_addr, ip, sizeof ip);
    printf("%s\"%s\"", first ? "" : ",", ip);
    first = 0;
  }
  printf("]}\n");
  freeaddrinfo(res);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "resolve")) {
    int failed = 0;
    for (int i = 2; i < argc; i++) failed |= resolve_name(argv[i]);
    return failed;
  }
  if (argc >= 2 && !strcmp(argv[1], "serve")) return serve(argc >= 3 ? atoi(argv[2]) : 80);
  if (argc >= 2 && !strcmp(argv[1], "get")) return get(argc - 2, argv + 2);
  fprintf(stderr, "usage: probe serve [PORT] | probe resolve NAME... | probe get HOST[:PORT] [options; see probe get]\n");
  return 2;
}
