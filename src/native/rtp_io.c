/*
 * RTP socket I/O off the JavaScript thread (issue 9): one I/O thread per JavaScript thread that
 * loads this addon (the media worker's), which
 *   - receives every socket's datagrams with recvmmsg() and hands them to JavaScript in one batch
 *     per wake-up (node:dgram makes a callback, a Buffer, a 64 KB allocation and an address string
 *     for each one), and
 *   - sends each RTP packet at its due time from a clock of its own, so a JavaScript thread that
 *     is late (a GC, a burst of work) does not make the packets late: JavaScript hands the next
 *     packets over a little ahead of time (rtp-sender.ts) and this thread sends them on time.
 * Everything else (RTP, jitter buffer, echo gate, DSP) stays in TypeScript: src/media/native-io.ts
 * is the other side. Linux only (epoll, timerfd, eventfd, recvmmsg); elsewhere node:dgram serves.
 *
 *   JS thread: open/connect/send/cancel/close ──┐            ┌─▶ drain() ─▶ JS (one batch)
 *                                               ▼            │
 *   I/O thread: epoll ─ timerfd: send what is due (sendto) ──┘ sockets: recvmmsg ─▶ rx buffer
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* A received datagram in the batch: fd u32, length u16, source port u16, family u8 (4 or 6),
 * 3 bytes padding, source address 16 bytes (IPv4 in the first 4), then the datagram. */
#define REC_HEADER 28
#define MAX_DATAGRAM 1500
#define RECV_BATCH 16
/* Send-time spacing error buckets: 0.1 ms wide up to 100 ms, as rtp-traffic.ts's SpacingHistogram. */
#define BUCKETS 1001
/* A packet due within this much leaves now: one wake-up sends many streams' packets (at 250
 * calls, 12,500 a second at scattered times), at most this early. */
#define EARLY_NS 500000

typedef struct {
  int fd;
  int64_t due_ns;
  uint32_t seq; /* insertion order: equal due times leave in the order they came */
  uint16_t len;
  uint8_t flags;
  socklen_t addrlen; /* 0: the socket is connected */
  struct sockaddr_storage addr;
  uint8_t data[MAX_DATAGRAM];
} Packet;

/* Per-socket send timing, for the spacing histogram (only packets flagged as audio count). */
typedef struct {
  int64_t last_ns;
  uint32_t last_ts;
  uint8_t has;
} Timing;

typedef struct {
  int ep, tfd, efd;
  int ep_sock;      /* the sockets: polled at each receive tick, not slept on */
  int64_t next_rx;  /* the next receive tick */
  pthread_t thread;
  int running;
  pthread_mutex_t mu;
  /* received, waiting for drain() */
  uint8_t *rx;
  size_t rx_len, rx_cap;
  int notified;
  size_t rx_dropped; /* datagrams dropped because JavaScript did not drain (bounded buffer) */
  napi_threadsafe_function tsfn;
  int sockets;
  /* packets sent or dropped, for reuse (taken and given back under mu): a packet is allocated by
   * the JavaScript thread and freed by the I/O thread, which defeats malloc's per-thread caches */
  Packet *spare;
  size_t spares;
  /* send queue: a binary heap on (due_ns, seq) */
  Packet **heap;
  size_t heap_len, heap_cap;
  uint32_t seq;
  int64_t armed_ns; /* the timerfd's expiry, 0 when disarmed */
  /* timing by fd */
  Timing *timing;
  size_t timing_cap;
  uint32_t hist[BUCKETS];
  uint64_t sent, late_sends, handed_late;
  int64_t max_late_ns;
  int priority; /* 2 real-time, 1 nice -10, 0 as the process */
} State;

/*
 * The I/O thread reads the sockets every RX_TICK_NS rather than waking for each datagram: at 250
 * calls they come 12,500 a second at scattered times, and a wake-up each cost more than the rest
 * of the I/O (measured: context switches were the thread's largest item). A datagram waits 2 ms
 * at most; JavaScript hears the batch at once after.
 */
#define RX_TICK_NS 2000000
/* Datagrams read per tick at most, and per socket: 1,000 calls bring about 100 a tick, a phone 1. */
#define RX_BUDGET 1024
#define PER_SOCKET 32
#define RX_LIMIT (8u << 20) /* 8 MB unread: JavaScript has stopped draining; newer datagrams are dropped */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- packets ---- */

#define MAX_SPARES 4096

/* With mu held. */
static Packet *take_packet(State *s) {
  Packet *p = s->spare;
  if (p) {
    s->spare = *(Packet **)p->data;
    s->spares--;
    return p;
  }
  return malloc(sizeof *p);
}

/* With mu held. */
static void give_packet(State *s, Packet *p) {
  if (s->spares >= MAX_SPARES) {
    free(p);
    return;
  }
  *(Packet **)p->data = s->spare;
  s->spare = p;
  s->spares++;
}

/* ---- heap ---- */

static int before(const Packet *a, const Packet *b) {
  return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && (int32_t)(a->seq - b->seq) < 0);
}

static int heap_push(State *s, Packet *p) {
  if (s->heap_len == s->heap_cap) {
    size_t cap = s->heap_cap ? s->heap_cap * 2 : 256;
    Packet **h = realloc(s->heap, cap * sizeof *h);
    if (!h) return -1;
    s->heap = h;
    s->heap_cap = cap;
  }
  size_t i = s->heap_len++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (!before(p, s->heap[up])) break;
    s->heap[i] = s->heap[up];
    i = up;
  }
  s->heap[i] = p;
  return 0;
}

static void heap_sift_down(State *s, size_t i) {
  Packet *p = s->heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= s->heap_len) break;
    if (c + 1 < s->heap_len && before(s->heap[c + 1], s->heap[c])) c++;
    if (!before(s->heap[c], p)) break;
    s->heap[i] = s->heap[c];
    i = c;
  }
  s->heap[i] = p;
}

static Packet *heap_pop(State *s) {
  Packet *top = s->heap[0];
  s->heap[0] = s->heap[--s->heap_len];
  if (s->heap_len > 0) heap_sift_down(s, 0);
  return top;
}

/* Removes every queued packet of `fd` (all of them when fd < 0); returns how many. */
static size_t heap_remove_fd(State *s, int fd) {
  size_t kept = 0, removed = 0;
  for (size_t i = 0; i < s->heap_len; i++) {
    if (fd < 0 || s->heap[i]->fd == fd) {
      give_packet(s, s->heap[i]);
      removed++;
    } else {
      s->heap[kept++] = s->heap[i];
    }
  }
  s->heap_len = kept;
  for (size_t i = kept / 2; i-- > 0;) heap_sift_down(s, i); /* heapify what is kept */
  return removed;
}

/* ---- timing ---- */

static Timing *timing_of(State *s, int fd) {
  if ((size_t)fd >= s->timing_cap) {
    size_t cap = s->timing_cap ? s->timing_cap : 1024;
    while (cap <= (size_t)fd) cap *= 2;
    Timing *t = realloc(s->timing, cap * sizeof *t);
    if (!t) return NULL;
    memset(t + s->timing_cap, 0, (cap - s->timing_cap) * sizeof *t);
    s->timing = t;
    s->timing_cap = cap;
  }
  return &s->timing[fd];
}

/* After a packet left at `at`: its spacing from the stream's previous one, against their
 * timestamps (flag 1: an audio packet; flag 2: it starts a talkspurt). Called with mu held. */
static void observe(State *s, int fd, const uint8_t *data, size_t len, uint8_t flags, int64_t at, int64_t due) {
  s->sent++;
  if (at - due > 1000000) s->late_sends++;
  if (at - due > s->max_late_ns) s->max_late_ns = at - due;
  if (!(flags & 1) || len < 12) return;
  Timing *t = timing_of(s, fd);
  if (!t) return;
  uint32_t ts = ((uint32_t)data[4] << 24) | ((uint32_t)data[5] << 16) | ((uint32_t)data[6] << 8) | data[7];
  if (t->has && !(flags & 2)) {
    double err = (double)(at - t->last_ns) / 1e6 - (double)(uint32_t)(ts - t->last_ts) / 8.0;
    if (err < 0) err = -err;
    size_t b = (size_t)(err / 0.1);
    s->hist[b < BUCKETS ? b : BUCKETS - 1]++;
  }
  t->last_ns = at;
  t->last_ts = ts;
  t->has = 1;
}

static void arm(State *s) {
  int64_t next = s->heap_len ? s->heap[0]->due_ns : 0;
  if (__atomic_load_n(&s->sockets, __ATOMIC_RELAXED) > 0 && (next == 0 || s->next_rx < next)) next = s->next_rx;
  if (next == s->armed_ns) return;
  struct itimerspec its = {0};
  if (next) {
    its.it_value.tv_sec = next / 1000000000;
    its.it_value.tv_nsec = next % 1000000000;
  }
  timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
  s->armed_ns = next;
}

static void send_due(State *s) {
  pthread_mutex_lock(&s->mu);
  s->armed_ns = -1; /* it fired (arm() sets it again) */
  for (;;) {
    int64_t now = now_ns();
    /* what falls due within EARLY_NS leaves now: one wake-up sends the packets of many streams */
    if (s->heap_len == 0 || s->heap[0]->due_ns > now + EARLY_NS) break;
    Packet *p = heap_pop(s);
    ssize_t r = p->addrlen ? sendto(p->fd, p->data, p->len, MSG_DONTWAIT, (struct sockaddr *)&p->addr, p->addrlen)
                           : send(p->fd, p->data, p->len, MSG_DONTWAIT);
    if (r >= 0) observe(s, p->fd, p->data, p->len, p->flags, now_ns(), p->due_ns);
    give_packet(s, p);
  }
  arm(s);
  pthread_mutex_unlock(&s->mu);
}

/* ---- receive ---- */

/* Reads up to `budget` datagrams of `fd`; returns how many it read. */
static int receive(State *s, int fd, int budget) {
  int read_total = 0;
  static __thread uint8_t bufs[RECV_BATCH][MAX_DATAGRAM];
  static __thread struct sockaddr_storage from[RECV_BATCH];
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  for (;;) {
    for (int i = 0; i < RECV_BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = MAX_DATAGRAM;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int want = budget - read_total < RECV_BATCH ? budget - read_total : RECV_BATCH;
    if (want <= 0) return read_total;
    int n = recvmmsg(fd, msgs, (unsigned)want, MSG_DONTWAIT, NULL);
    if (n <= 0) return read_total; /* EAGAIN, or an ICMP error (ECONNREFUSED) reported on the socket: read on next time */
    read_total += n;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < n; i++) {
      size_t len = msgs[i].msg_len;
      if (s->rx_len + REC_HEADER + len > RX_LIMIT) {
        s->rx_dropped++;
        continue;
      }
      if (s->rx_len + REC_HEADER + len > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap * 2 : 65536;
        while (cap < s->rx_len + REC_HEADER + len) cap *= 2;
        uint8_t *b = realloc(s->rx, cap);
        if (!b) {
          s->rx_dropped++;
          continue;
        }
        s->rx = b;
        s->rx_cap = cap;
      }
      uint8_t *r = s->rx + s->rx_len;
      memset(r, 0, REC_HEADER);
      uint32_t f = (uint32_t)fd;
      uint16_t l = (uint16_t)len;
      memcpy(r, &f, 4);
      memcpy(r + 4, &l, 2);
      if (from[i].ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&from[i];
        uint16_t port = ntohs(a->sin6_port);
        memcpy(r + 6, &port, 2);
        r[8] = 6;
        memcpy(r + 12, &a->sin6_addr, 16);
      } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&from[i];
        uint16_t port = ntohs(a->sin_port);
        memcpy(r + 6, &port, 2);
        r[8] = 4;
        memcpy(r + 12, &a->sin_addr, 4);
      }
      memcpy(r + REC_HEADER, bufs[i], len);
      s->rx_len += REC_HEADER + len;
    }
    pthread_mutex_unlock(&s->mu);
    if (n < want) return read_total;
  }
}

/* A receive tick: the sockets with datagrams waiting are read, RX_BUDGET datagrams at most (a
 * flood waits in its socket's buffer, where the kernel drops what does not fit, and cannot keep a
 * real-time thread busy), and JavaScript is told once. */
static void poll_sockets(State *s) {
  struct epoll_event evs[256];
  int n, budget = RX_BUDGET;
  do {
    n = epoll_wait(s->ep_sock, evs, 256, 0);
    for (int i = 0; i < n && budget > 0; i++) budget -= receive(s, evs[i].data.fd, budget < PER_SOCKET ? budget : PER_SOCKET);
  } while (n == 256 && budget > 0);
  pthread_mutex_lock(&s->mu);
  int notify = s->rx_len > 0 && !s->notified;
  if (notify) s->notified = 1;
  pthread_mutex_unlock(&s->mu);
  if (notify) napi_call_threadsafe_function(s->tsfn, NULL, napi_tsfn_nonblocking);
}

static void *io_thread(void *arg) {
  State *s = arg;
  /* Media threads run ahead of the rest, as Asterisk's (-p) and FreeSWITCH's (-rp) do: real-time
   * (SCHED_FIFO, the lowest priority), else nice -10, else as the process. Either needs
   * CAP_SYS_NICE. Measured at 250 calls on a loaded 2-core machine: p99 send spacing error
   * 0.6-2.7 ms real-time, 3.9-4.3 ms at nice -10. The thread blocks in epoll_wait between ticks
   * and reads RX_BUDGET datagrams a tick at most, so a flood cannot make it hold a core. */
  pid_t tid = (pid_t)syscall(SYS_gettid);
  struct sched_param sp = {.sched_priority = 1};
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0) s->priority = 2;
  else s->priority = setpriority(PRIO_PROCESS, tid, -10) == 0 ? 1 : 0;
  struct epoll_event evs[64];
  while (s->running) {
    int n = epoll_wait(s->ep, evs, 64, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == s->efd) {
        uint64_t v;
        (void)!read(s->efd, &v, sizeof v);
      } else if (fd == s->tfd) {
        uint64_t v;
        (void)!read(s->tfd, &v, sizeof v);
        int64_t now = now_ns();
        if (now >= s->next_rx - EARLY_NS) {
          s->next_rx = now + RX_TICK_NS;
          poll_sockets(s);
        }
        send_due(s);
      }
    }
  }
  return NULL;
}

/* ---- JavaScript side ---- */

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  const char *code = err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : err == EINVAL ? "EINVAL" : err == EAFNOSUPPORT ? "EAFNOSUPPORT" : "EIO";
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

static void call_js(napi_env env, napi_value js_cb, void *ctx, void *data) {
  (void)ctx;
  (void)data;
  if (!env) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, js_cb, 0, NULL, NULL);
}

static void cleanup(void *arg) {
  State *s = arg;
  if (s->running) {
    s->running = 0;
    uint64_t one = 1;
    (void)!write(s->efd, &one, sizeof one);
    pthread_join(s->thread, NULL);
  }
  heap_remove_fd(s, -1);
  while (s->spare) {
    Packet *p = s->spare;
    s->spare = *(Packet **)p->data;
    free(p);
  }
  free(s->heap);
  free(s->rx);
  free(s->timing);
  close(s->ep);
  close(s->ep_sock);
  close(s->tfd);
  close(s->efd);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static State *state_of(napi_env env) {
  State *s = NULL;
  napi_get_instance_data(env, (void **)&s);
  return s;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  return (int)argc;
}

static int32_t int_arg(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

/* start(onReadable): the I/O thread; onReadable() is called (coalesced) when drain() has something. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  if (state_of(env)) return NULL;
  napi_value argv[1];
  if (args(env, info, 1, argv) < 1) return NULL;
  State *s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, ENOMEM, "rtp-io");
  pthread_mutex_init(&s->mu, NULL);
  s->ep = epoll_create1(EPOLL_CLOEXEC);
  s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  s->ep_sock = epoll_create1(EPOLL_CLOEXEC);
  if (s->ep < 0 || s->tfd < 0 || s->efd < 0 || s->ep_sock < 0) return throw_errno(env, errno, "rtp-io: epoll/timerfd/eventfd");
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.fd = s->tfd;
  epoll_ctl(s->ep, EPOLL_CTL_ADD, s->tfd, &ev);
  ev.data.fd = s->efd;
  epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &ev);
  napi_value name;
  napi_create_string_utf8(env, "zvonar-rtp-io", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &s->tsfn));
  napi_unref_threadsafe_function(env, s->tsfn);
  s->running = 1;
  if (pthread_create(&s->thread, NULL, io_thread, s) != 0) return throw_errno(env, errno, "rtp-io: thread");
  napi_set_instance_data(env, s, NULL, NULL);
  napi_add_env_cleanup_hook(env, cleanup, s);
  return NULL;
}

static int parse_addr(napi_env env, napi_value host, int port, struct sockaddr_storage *out, socklen_t *len) {
  char buf[64];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, host, buf, sizeof buf, &n) != napi_ok) return -1;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *a4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, buf, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET6, buf, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    return 0;
  }
  return -1;
}

/* open(host, port) -> fd: a UDP socket bound to host:port (0: any free port), read by the I/O thread. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  State *s = state_of(env);
  napi_value argv[2];
  if (!s || args(env, info, 2, argv) < 2) return throw_errno(env, EINVAL, "rtp-io: open before start");
  struct sockaddr_storage a;
  socklen_t alen;
  if (parse_addr(env, argv[0], int_arg(env, argv[1]), &a, &alen) < 0) return throw_errno(env, EINVAL, "rtp-io: not an IP address");
  int fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "rtp-io: socket");
  if (bind(fd, (struct sockaddr *)&a, alen) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "rtp-io: bind");
  }
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.fd = fd;
  if (epoll_ctl(s->ep_sock, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "rtp-io: epoll");
  }
  pthread_mutex_lock(&s->mu);
  Timing *t = timing_of(s, fd);
  if (t) memset(t, 0, sizeof *t);
  if (__atomic_fetch_add(&s->sockets, 1, __ATOMIC_RELAXED) == 0) {
    /* receive ticks start again */
    s->next_rx = now_ns() + RX_TICK_NS;
    arm(s);
    napi_ref_threadsafe_function(env, s->tsfn);
  }
  pthread_mutex_unlock(&s->mu);
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/* port(fd) -> the local port */
static napi_value js_port(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, 1, argv);
  struct sockaddr_storage a;
  socklen_t alen = sizeof a;
  if (getsockname(int_arg(env, argv[0]), (struct sockaddr *)&a, &alen) < 0) return throw_errno(env, errno, "rtp-io: getsockname");
  int port = a.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&a)->sin6_port) : ntohs(((struct sockaddr_in *)&a)->sin_port);
  napi_value out;
  napi_create_int32(env, port, &out);
  return out;
}

/* connect(fd, host, port): sends without an address go there, and only its datagrams are read. */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  args(env, info, 3, argv);
  struct sockaddr_storage a;
  socklen_t alen;
  if (parse_addr(env, argv[1], int_arg(env, argv[2]), &a, &alen) < 0) return throw_errno(env, EINVAL, "rtp-io: not an IP address");
  if (connect(int_arg(env, argv[0]), (struct sockaddr *)&a, alen) < 0) return throw_errno(env, errno, "rtp-io: connect");
  return NULL;
}

static napi_value js_disconnect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, 1, argv);
  struct sockaddr a = {.sa_family = AF_UNSPEC};
  connect(int_arg(env, argv[0]), &a, sizeof a);
  return NULL;
}

/* close(fd): its queued packets are dropped. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  State *s = state_of(env);
  napi_value argv[1];
  args(env, info, 1, argv);
  int fd = int_arg(env, argv[0]);
  if (!s || fd < 0) return NULL;
  pthread_mutex_lock(&s->mu);
  heap_remove_fd(s, fd);
  arm(s);
  epoll_ctl(s->ep_sock, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  if (__atomic_sub_fetch(&s->sockets, 1, __ATOMIC_RELAXED) == 0) napi_unref_threadsafe_function(env, s->tsfn);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/*
 * send(fd, bytes, length, dueMs, flags, host?, port?) -> 0 sent, 1 queued, or -errno: `dueMs` is
 * on this clock (nowMs()); a packet due within 0.1 ms is sent at once from this thread, a later one
 * by the I/O thread at its time. flags: 1 an audio packet (its spacing is measured), 2 the first of
 * a talkspurt. Without host the socket must be connected.
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  State *s = state_of(env);
  napi_value argv[7];
  int argc = args(env, info, 7, argv);
  if (!s || argc < 5) return throw_errno(env, EINVAL, "rtp-io: send");
  int fd = int_arg(env, argv[0]);
  void *data;
  size_t cap;
  napi_get_typedarray_info(env, argv[1], NULL, &cap, &data, NULL, NULL);
  size_t len = (size_t)int_arg(env, argv[2]);
  double due_ms = 0;
  napi_get_value_double(env, argv[3], &due_ms);
  uint8_t flags = (uint8_t)int_arg(env, argv[4]);
  if (len > cap || len > MAX_DATAGRAM) return throw_errno(env, EINVAL, "rtp-io: datagram too long");
  struct sockaddr_storage a;
  socklen_t alen = 0;
  napi_valuetype t = napi_undefined;
  if (argc >= 7) napi_typeof(env, argv[5], &t);
  if (t == napi_string && parse_addr(env, argv[5], int_arg(env, argv[6]), &a, &alen) < 0) return throw_errno(env, EINVAL, "rtp-io: not an IP address");
  int64_t due = (int64_t)(due_ms * 1e6);
  int64_t now = now_ns();
  int result;
  if (due <= now + EARLY_NS) {
    ssize_t r = alen ? sendto(fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&a, alen) : send(fd, data, len, MSG_DONTWAIT);
    result = r >= 0 ? 0 : -errno;
    if (due < now - 1000000) s->handed_late++;
    if (r >= 0) {
      pthread_mutex_lock(&s->mu);
      observe(s, fd, data, len, flags, now_ns(), due);
      pthread_mutex_unlock(&s->mu);
    }
  } else {
    pthread_mutex_lock(&s->mu);
    Packet *p = take_packet(s);
    int err = !p;
    if (p) {
      p->fd = fd;
      p->due_ns = due;
      p->len = (uint16_t)len;
      p->flags = flags;
      p->addrlen = alen;
      if (alen) memcpy(&p->addr, &a, alen);
      memcpy(p->data, data, len);
      p->seq = s->seq++;
      err = heap_push(s, p);
      if (err) give_packet(s, p);
      else arm(s);
    }
    pthread_mutex_unlock(&s->mu);
    if (err) return throw_errno(env, ENOMEM, "rtp-io: send");
    result = 1;
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

/* cancel(fd) -> how many packets queued for later were dropped */
static napi_value js_cancel(napi_env env, napi_callback_info info) {
  State *s = state_of(env);
  napi_value argv[1];
  args(env, info, 1, argv);
  size_t n = 0;
  if (s) {
    pthread_mutex_lock(&s->mu);
    n = heap_remove_fd(s, int_arg(env, argv[0]));
    arm(s);
    pthread_mutex_unlock(&s->mu);
  }
  napi_value out;
  napi_create_int32(env, (int32_t)n, &out);
  return out;
}

/* drain() -> a Buffer of the datagrams received since the last drain (records as above), or undefined */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  (void)info;
  State *s = state_of(env);
  if (!s) return NULL;
  pthread_mutex_lock(&s->mu);
  s->notified = 0;
  napi_value out = NULL;
  if (s->rx_len > 0) {
    void *copy;
    if (napi_create_buffer_copy(env, s->rx_len, s->rx, &copy, &out) != napi_ok) out = NULL;
    s->rx_len = 0;
  }
  pthread_mutex_unlock(&s->mu);
  return out;
}

static napi_value js_now(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_double(env, (double)now_ns() / 1e6, &out);
  return out;
}

/* stats(reset) -> { hist: Uint32Array(BUCKETS), sent, lateSends, maxLateMs, rxDropped, queued, priority } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  State *s = state_of(env);
  napi_value argv[1];
  args(env, info, 1, argv);
  bool reset = false;
  napi_get_value_bool(env, argv[0], &reset);
  napi_value out, ab, arr, v;
  napi_create_object(env, &out);
  if (!s) return out;
  void *mem;
  napi_create_arraybuffer(env, sizeof s->hist, &mem, &ab);
  pthread_mutex_lock(&s->mu);
  memcpy(mem, s->hist, sizeof s->hist);
  double sent = (double)s->sent, late = (double)s->late_sends, max_late = (double)s->max_late_ns / 1e6, dropped = (double)s->rx_dropped, queued = (double)s->heap_len;
  if (reset) {
    memset(s->hist, 0, sizeof s->hist);
    s->late_sends = 0;
    s->max_late_ns = 0;
  }
  pthread_mutex_unlock(&s->mu);
  napi_create_typedarray(env, napi_uint32_array, BUCKETS, ab, 0, &arr);
  napi_set_named_property(env, out, "hist", arr);
  napi_create_double(env, sent, &v);
  napi_set_named_property(env, out, "sent", v);
  napi_create_double(env, late, &v);
  napi_set_named_property(env, out, "lateSends", v);
  napi_create_double(env, max_late, &v);
  napi_set_named_property(env, out, "maxLateMs", v);
  napi_create_double(env, (double)s->handed_late, &v);
  napi_set_named_property(env, out, "handedLate", v);
  napi_create_double(env, dropped, &v);
  napi_set_named_property(env, out, "rxDropped", v);
  napi_create_double(env, queued, &v);
  napi_set_named_property(env, out, "queued", v);
  const char *prio = s->priority == 2 ? "realtime" : s->priority == 1 ? "high" : "normal";
  napi_create_string_utf8(env, prio, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "priority", v);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"port", NULL, js_port, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"disconnect", NULL, js_disconnect, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_default, NULL},
      {"drain", NULL, js_drain, NULL, NULL, NULL, napi_default, NULL},
      {"nowMs", NULL, js_now, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
