/* A small hiredis program that runs a fixed script of commands against a
 * server and prints one line per reply. Used by test_hiredis.py, which
 * compiles it (cc hiredis_client.c -lhiredis) and compares its output.
 *
 * Usage: hiredis_client <host> <port> [password]
 * Exit codes: 0 script ran, 2 cannot connect, 3 connection lost mid-script.
 *
 * Reply format: +status  -error  :integer  (nil)  $len:escaped-bytes
 *               *n[elem, elem, ...]   (strings over 64 bytes print $len:<prefix>...)
 */
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redisContext* ctx;

static void print_escaped(const char* s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\\') {
      fputs("\\\\", stdout);
    } else if (ch == '\n') {
      fputs("\\n", stdout);
    } else if (ch == '\r') {
      fputs("\\r", stdout);
    } else if (ch < 0x20 || ch >= 0x7f) {
      printf("\\x%02x", ch);
    } else {
      putchar(ch);
    }
  }
}

static void print_reply(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      printf("+%s", r->str);
      break;
    case REDIS_REPLY_ERROR:
      printf("-%s", r->str);
      break;
    case REDIS_REPLY_INTEGER:
      printf(":%lld", r->integer);
      break;
    case REDIS_REPLY_NIL:
      printf("(nil)");
      break;
    case REDIS_REPLY_STRING:
      printf("$%zu:", (size_t)r->len);
      if (r->len > 64) {
        print_escaped(r->str, 8);
        printf("...");
      } else {
        print_escaped(r->str, (size_t)r->len);
      }
      break;
    case REDIS_REPLY_ARRAY:
      printf("*%zu[", r->elements);
      for (size_t i = 0; i < r->elements; i++) {
        if (i > 0) printf(", ");
        print_reply(r->element[i]);
      }
      printf("]");
      break;
    default:
      printf("?type=%d", r->type);
  }
}

/* Prints "<label> <reply>" and frees the reply; exits if the connection broke. */
static void show(const char* label, redisReply* r) {
  if (r == NULL) {
    printf("%s connection error: %s\n", label, ctx->errstr);
    exit(3);
  }
  printf("%s ", label);
  print_reply(r);
  printf("\n");
  freeReplyObject(r);
}

static redisReply* next_reply(void) {
  void* reply = NULL;
  if (redisGetReply(ctx, &reply) != REDIS_OK) return NULL;
  return (redisReply*)reply;
}

int main(int argc, char** argv) {
  /* A server may close the connection (as it does for an unauthenticated
   * client's big request): report it as a connection error, not a SIGPIPE
   * death that loses the buffered output. */
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 3) {
    fprintf(stderr, "usage: %s <host> <port> [password]\n", argv[0]);
    return 1;
  }
  struct timeval timeout = {10, 0};
  ctx = redisConnectWithTimeout(argv[1], atoi(argv[2]), timeout);
  if (ctx == NULL || ctx->err) {
    printf("connect error: %s\n", ctx ? ctx->errstr : "cannot allocate context");
    return 2;
  }
  redisSetTimeout(ctx, timeout);

  if (argc > 3) show("auth", redisCommand(ctx, "AUTH %s", argv[3]));

  /* Plain request/reply. */
  show("ping", redisCommand(ctx, "PING"));
  show("flushall", redisCommand(ctx, "FLUSHALL"));
  show("set", redisCommand(ctx, "SET %s %s", "greeting", "hello world"));
  show("get", redisCommand(ctx, "GET greeting"));
  show("get-missing", redisCommand(ctx, "GET missing"));
  show("incr", redisCommand(ctx, "INCR counter"));
  show("incrby", redisCommand(ctx, "INCRBY counter %d", 41));
  show("mget", redisCommand(ctx, "MGET greeting missing counter"));
  show("incr-error", redisCommand(ctx, "INCR greeting"));
  show("arity-error", redisCommand(ctx, "GET"));
  show("expire", redisCommand(ctx, "EXPIRE greeting 100"));
  show("ttl", redisCommand(ctx, "TTL greeting"));
  show("append", redisCommand(ctx, "APPEND greeting %s", "!"));
  show("strlen", redisCommand(ctx, "STRLEN greeting"));

  /* Binary-safe values with %b. */
  const char bin[] = {'a', '\0', '\r', '\n', (char)0xff, 'z'};
  show("set-binary", redisCommand(ctx, "SET %b %b", "bin\0key", (size_t)7, bin, sizeof(bin)));
  show("get-binary", redisCommand(ctx, "GET %b", "bin\0key", (size_t)7));
  show("strlen-binary", redisCommand(ctx, "STRLEN %b", "bin\0key", (size_t)7));

  /* Argument vectors with spaces and newlines. */
  const char* set_argv[] = {"SET", "key with spaces", "line1\nline2"};
  show("set-argv", redisCommandArgv(ctx, 3, set_argv, NULL));
  const char* get_argv[] = {"GET", "key with spaces"};
  show("get-argv", redisCommandArgv(ctx, 2, get_argv, NULL));

  /* A value larger than hiredis' read buffer. */
  size_t big_len = 200000;
  char* big = malloc(big_len);
  memset(big, 'x', big_len);
  show("set-big", redisCommand(ctx, "SET big %b", big, big_len));
  free(big);
  show("strlen-big", redisCommand(ctx, "STRLEN big"));
  show("get-big", redisCommand(ctx, "GET big"));
  show("getrange-big", redisCommand(ctx, "GETRANGE big 199995 -1"));

  /* Pipelined: everything appended first, replies read afterwards, in order. */
  redisAppendCommand(ctx, "SET p:1 a");
  redisAppendCommand(ctx, "SET p:2 b");
  redisAppendCommand(ctx, "INCR p:n");
  redisAppendCommand(ctx, "INCR greeting");
  redisAppendCommand(ctx, "INCR p:n");
  redisAppendCommand(ctx, "MGET p:1 p:2 p:n nope");
  redisAppendCommand(ctx, "GETSET p:1 z");
  redisAppendCommand(ctx, "SET p:2 c NX");
  redisAppendCommand(ctx, "EXISTS p:1 p:2 p:n nope");
  redisAppendCommand(ctx, "DEL p:1 p:2 p:n");
  redisAppendCommand(ctx, "SCAN 0 MATCH p:* COUNT 1000");
  for (int i = 0; i < 11; i++) {
    char label[32];
    snprintf(label, sizeof(label), "pipe[%d]", i);
    show(label, next_reply());
  }

  /* A long pipeline of the same command. */
  const int n = 2000;
  for (int i = 0; i < n; i++) redisAppendCommand(ctx, "INCR many");
  long long last = 0;
  int bad = 0;
  for (int i = 0; i < n; i++) {
    redisReply* r = next_reply();
    if (r == NULL) show("many", NULL);
    if (r->type != REDIS_REPLY_INTEGER || r->integer != i + 1) bad++;
    last = r->integer;
    freeReplyObject(r);
  }
  printf("many last=%lld bad=%d\n", last, bad);

  show("config-get", redisCommand(ctx, "CONFIG GET maxmemory"));
  show("dbsize", redisCommand(ctx, "DBSIZE"));
  show("del", redisCommand(ctx, "DEL greeting counter missing"));
  show("keys", redisCommand(ctx, "KEYS key*"));
  show("quit", redisCommand(ctx, "QUIT"));
  redisFree(ctx);
  return 0;
}
