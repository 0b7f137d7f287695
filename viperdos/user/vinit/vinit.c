/* vinit: the ViperDOS shell on the serial console (VIPERDOS.md "Shell (vinit)
 * and user experience"). Process 1 of a `bin/viperdos boot` machine.
 *
 * - Prompt `<cwd>> ` with the directory in its shortest assign form, as the
 *   user typed it (`cd C:` gives `C:> `, not the volume path; display_path);
 *   lines read from fd 0 (console), echoed by the shell itself (the console
 *   has no line discipline), with editing (arrows, history, Home/End, Delete,
 *   Ctrl+A/E/U/K/W/L/C) and Tab completion of command names (built-ins and
 *   C:), assigns and paths; see read_line in lineedit.c.
 * - Built-in commands, case-insensitive (the builtins table; `Help`); anything
 *   else is a program: the current directory, then C:<name>, then
 *   C:<name>.prg; the child gets `PWD=<cwd>;<args>` (cwd in assign form)
 *   through GET_ARGS and its exit status becomes the return code. A child
 *   killed by a signal ends with 128 + sig: Ctrl+C (SIGINT, sent by the
 *   terminal side of `viperdos boot`) prints ***Break.
 * - Return codes OK 0, WARN 5, ERROR 10, FAIL 20; every error prints
 *   "<Command>: <path>: <reason> (error N)" (or a usage line for a missing or
 *   bad argument) and `Why` prints the message of the last failure.
 * - S:startup runs first when present (one command per line, # comments).
 * - EndShell exits vinit; the kernel run ends with it. */
#include <stdarg.h>
#include "shell.h"

/* Built-in commands print through these: straight to the console, or into
 * the capture buffer while `read <cmd>` pages the command's output. */
static char capture_buf[64 * 1024];
static usize capture_len;
static int capturing;

void out_write(const char *p, usize n)
{
    if (!capturing) {
        fwrite(p, 1, n, stdout);
        return;
    }
    if (n > sizeof capture_buf - capture_len) n = sizeof capture_buf - capture_len;
    memcpy(capture_buf + capture_len, p, n);
    capture_len += n;
}

int out_printf(const char *fmt, ...)
{
    char tmp[2048]; /* longer output is cut (Help is the longest) */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) out_write(tmp, (usize)n < sizeof tmp ? (usize)n : sizeof tmp - 1);
    return n;
}

int out_putchar(int c)
{
    char ch = (char)c;
    out_write(&ch, 1);
    return c;
}

#define RC_OK 0
#define RC_WARN 5
#define RC_ERROR 10
#define RC_FAIL 20

#define O_WRONLY 1
#define O_CREAT 0x40
#define O_TRUNC 0x200

#define MAX_ARGS 32

/* Layouts from viperdos/kernel/syscall/fs.ts. */
struct vd_stat { u64 ino; u32 mode; u32 links; u64 size; u64 blocks; u64 atime; u64 mtime; u64 ctime; };
/* From viperdos/kernel/syscall/dispatch.ts (TASK_LIST). */
struct vd_task_info { u32 tid; u32 pid; u32 state; i32 cpu; u32 priority; u32 affinity; u64 runtime_ns; u64 switches; char name[32]; };

static int last_rc;
static char last_why[160] = "no command has failed yet";
char history[HISTORY_MAX][LINE_MAX_LEN];
int history_len;
static int running = 1;

/* Record a failure for `Why` and print it; returns `rc`. */
static int fail(int rc, const char *what, long code)
{
    if (code < 0) snprintf(last_why, sizeof last_why, "%s: %s (error %ld)", what, vd_error_message(code), code);
    else snprintf(last_why, sizeof last_why, "%s", what);
    printf("%s\n", last_why);
    return rc;
}

/* Record and print "<cmd>: <path>: <message> (error N)" (no doubled colon
 * after an assign such as "C:"); returns `rc`. */
static int fail_path(int rc, const char *cmd, const char *path, long code)
{
    usize n = strlen(path);
    const char *sep = n > 0 && path[n - 1] == ':' ? " " : ": ";
    snprintf(last_why, sizeof last_why, "%s: %s%s%s (error %ld)", cmd, path, sep, vd_error_message(code), code);
    printf("%s\n", last_why);
    return rc;
}

/* A command given more arguments than it takes: ERROR with "bad argument". */
static int bad_argument(const char *cmd, const char *arg, const char *usage)
{
    snprintf(last_why, sizeof last_why, "%s: bad argument \"%s\" (usage: %s)", cmd, arg, usage);
    printf("%s\n", last_why);
    return RC_ERROR;
}


static int ieqn(const char *a, const char *b, usize n)
{
    for (usize i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y) return 0;
        if (!x) return 1;
    }
    return 1;
}

/* The kernel's form of a path (e.g. "D1:c/sub", as GETCWD returns it) in the
 * shortest assign-relative form the user knows (e.g. "C:sub"), as AmigaDOS
 * shows it: the assign whose target is the longest prefix of `raw` at a
 * component boundary wins; on a tie, the assign named like the volume
 * ("SYS:" over "D0:"), then the shorter name. Unchanged when none matches. */
static void display_path(const char *raw, char *out, usize len)
{
    static struct vd_assign_info infos[32];
    vd_ret l = vd_assign_list(infos, 32);
    long best = -1;
    usize best_tl = 0;
    int best_self = 0;
    for (long i = 0; l.status == 0 && i < l.r1; i++) {
        const char *t = infos[i].target;
        usize tl = strlen(t), nl = strlen(infos[i].name);
        if (tl == 0 || !ieqn(raw, t, tl)) continue;
        if (raw[tl] != 0 && raw[tl] != '/' && t[tl - 1] != ':') continue; /* "D1:certs" is not inside "D1:c" */
        int self = nl + 1 == tl && ieqn(t, infos[i].name, nl);
        if (best >= 0) {
            if (tl < best_tl) continue;
            if (tl == best_tl) {
                if (best_self > self) continue;
                if (best_self == self && nl >= strlen(infos[best].name)) continue;
            }
        }
        best = i;
        best_tl = tl;
        best_self = self;
    }
    if (best < 0) {
        snprintf(out, len, "%s", raw);
        return;
    }
    const char *rest = raw + best_tl;
    while (*rest == '/') rest++;
    snprintf(out, len, "%s:%s", infos[best].name, rest);
}

/* The current directory as the user sees it (see display_path). */
void cwd(char *buf, usize len)
{
    char raw[LINE_MAX_LEN];
    if (vd_getcwd(raw, sizeof raw).status != 0) snprintf(buf, len, "?");
    else display_path(raw, buf, len);
}

int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y) return 0;
    }
    return *a == *b;
}

/* Split `line` in place at blanks; "double quotes" group words. Returns argc. */
static int split(char *line, char **argv)
{
    int argc = 0;
    char *p = line;
    while (*p && argc < MAX_ARGS) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (*p == '"') {
            argv[argc++] = ++p;
            while (*p && *p != '"') p++;
        } else {
            argv[argc++] = p;
            while (*p && *p != ' ' && *p != '\t') p++;
        }
        if (*p) *p++ = 0;
    }
    return argc;
}

/* Join `base` (a directory, maybe ending in ':' or '/') and `name`. */
static void join(char *out, usize len, const char *base, const char *name)
{
    usize n = strlen(base);
    if (n == 0 || base[n - 1] == ':' || base[n - 1] == '/') snprintf(out, len, "%s%s", base, name);
    else snprintf(out, len, "%s/%s", base, name);
}

/* --- file commands -------------------------------------------------------------------------- */

static int is_dir_path(const char *path)
{
    struct vd_stat st;
    return vd_stat(path, &st).status == 0 && (st.mode & 0xf000) == 0x4000;
}

/* A directory listing, gathered before printing so it can be sorted. */
#define LIST_MAX 1024
struct list_entry { char name[60]; int is_dir; };
static struct list_entry listing[LIST_MAX];

/* Directories first, then files; each group by name, case-insensitively (as AmigaDOS Dir shows them). */
static int list_order(const struct list_entry *a, const struct list_entry *b)
{
    if (a->is_dir != b->is_dir) return b->is_dir - a->is_dir;
    for (const char *x = a->name, *y = b->name;; x++, y++) {
        char cx = *x >= 'A' && *x <= 'Z' ? (char)(*x + 32) : *x, cy = *y >= 'A' && *y <= 'Z' ? (char)(*y + 32) : *y;
        if (cx != cy || !cx) return (unsigned char)cx - (unsigned char)cy;
    }
}

static void sort_listing(int n)
{
    for (int i = 1; i < n; i++) { /* insertion sort: listings are short */
        struct list_entry e = listing[i];
        int j = i;
        for (; j > 0 && list_order(&listing[j - 1], &e) > 0; j--) listing[j] = listing[j - 1];
        listing[j] = e;
    }
}

/* Dir/List: the entries of `path` ("" = the current directory), directories
 * first, each group sorted by name; or the file `path` itself. List adds
 * sizes. Past LIST_MAX entries the rest is counted, not shown. */
static int list_dir(const char *cmd, const char *path, int sizes)
{
    char here[LINE_MAX_LEN];
    if (!path[0]) { /* no argument: the current directory */
        cwd(here, sizeof here);
        path = here;
    }
    struct vd_stat one;
    vd_ret s = vd_stat(path, &one);
    if (s.status != 0) return fail_path(RC_ERROR, cmd, path, s.status);
    if ((one.mode & 0xf000) != 0x4000) { /* a file: itself, as AmigaDOS List does */
        if (sizes) printf("  %-28s %8lu\n1 file, 0 directories, %lu bytes\n", path, (unsigned long)one.size, (unsigned long)one.size);
        else printf("  %s\n1 file, 0 directories\n", path);
        return RC_OK;
    }
    vd_ret o = vd_open(path, O_RDONLY);
    if (o.status != 0) return fail_path(RC_ERROR, cmd, path, o.status);
    int fd = (int)o.r1, files = 0, dirs = 0, n = 0;
    char buf[1024];
    for (;;) {
        vd_ret r = vd_readdir(fd, buf, sizeof buf);
        if (r.status != 0) {
            vd_close(fd);
            return fail_path(RC_ERROR, cmd, path, r.status);
        }
        if (r.r1 == 0) break;
        for (long at = 0; at < (long)r.r1;) {
            u16 reclen = *(u16 *)(buf + at + 8);
            if (reclen == 0) break; /* a malformed record: stop rather than loop */
            int is_dir = (u8)buf[at + 10] == 2;
            if (is_dir) dirs++;
            else files++;
            if (n < LIST_MAX) {
                snprintf(listing[n].name, sizeof listing[n].name, "%s", buf + at + 12);
                listing[n++].is_dir = is_dir;
            }
            at += reclen;
        }
    }
    vd_close(fd);
    sort_listing(n);
    u64 bytes = 0;
    for (int i = 0; i < n; i++) {
        const char *name = listing[i].name;
        if (listing[i].is_dir) printf("  %-28s <dir>\n", name);
        else if (sizes) {
            char full[LINE_MAX_LEN];
            struct vd_stat st;
            join(full, sizeof full, path, name);
            u64 size = vd_stat(full, &st).status == 0 ? st.size : 0;
            bytes += size;
            printf("  %-28s %8lu\n", name, (unsigned long)size);
        } else printf("  %s\n", name);
    }
    if (files + dirs > n) printf("  ... %d more not shown\n", files + dirs - n);
    printf("%d file%s, %d director%s", files, files == 1 ? "" : "s", dirs, dirs == 1 ? "y" : "ies");
    if (sizes) printf(", %lu bytes", (unsigned long)bytes);
    printf("\n");
    return RC_OK;
}

static int cmd_type(int argc, char **argv)
{
    if (argc < 2) return fail(RC_ERROR, "Type: missing file name (usage: Type FILE...)", 0);
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (is_dir_path(f)) return fail_path(RC_ERROR, "Type", f, VERR_IS_DIR);
        vd_ret o = vd_open(f, O_RDONLY);
        if (o.status != 0) return fail_path(RC_ERROR, "Type", f, o.status);
        char buf[1024];
        int last = '\n';
        for (;;) {
            vd_ret r = vd_read((int)o.r1, buf, sizeof buf);
            if (r.status != 0) {
                vd_close((int)o.r1);
                return fail_path(RC_ERROR, "Type", f, r.status);
            }
            if (r.r1 == 0) break;
            out_write(buf, (usize)r.r1);
            last = buf[r.r1 - 1];
        }
        if (last != '\n') putchar('\n');
        vd_close((int)o.r1);
    }
    return RC_OK;
}

static int cmd_copy(int argc, char **argv)
{
    if (argc < 3) return fail(RC_ERROR, "Copy: missing argument (usage: Copy FROM TO)", 0);
    if (argc > 3) return bad_argument("Copy", argv[3], "Copy FROM TO");
    struct vd_stat from, to;
    vd_ret s = vd_stat(argv[1], &from);
    if (s.status != 0) return fail_path(RC_ERROR, "Copy", argv[1], s.status);
    if ((from.mode & 0xf000) == 0x4000) return fail_path(RC_ERROR, "Copy", argv[1], VERR_IS_DIR);
    char target[LINE_MAX_LEN];
    snprintf(target, sizeof target, "%s", argv[2]);
    if (is_dir_path(argv[2])) { /* into a directory: keep the name */
        const char *base = strrchr(argv[1], '/');
        if (!base) base = strrchr(argv[1], ':');
        join(target, sizeof target, argv[2], base ? base + 1 : argv[1]);
    }
    if (vd_stat(target, &to).status == 0 && to.ino == from.ino) /* O_TRUNC would destroy the source */
        return fail(RC_ERROR, "Copy: source and destination are the same file", 0);
    vd_ret in = vd_open(argv[1], O_RDONLY);
    if (in.status != 0) return fail_path(RC_ERROR, "Copy", argv[1], in.status);
    vd_ret out = vd_open(target, O_WRONLY | O_CREAT | O_TRUNC);
    if (out.status != 0) {
        vd_close((int)in.r1);
        return fail_path(RC_ERROR, "Copy", target, out.status);
    }
    char buf[4096];
    int rc = RC_OK;
    for (;;) {
        vd_ret r = vd_read((int)in.r1, buf, sizeof buf);
        if (r.status != 0) { rc = fail_path(RC_ERROR, "Copy", argv[1], r.status); break; }
        if (r.r1 == 0) break;
        vd_ret w = vd_write((int)out.r1, buf, (usize)r.r1);
        if (w.status != 0) { rc = fail_path(RC_ERROR, "Copy", target, w.status); break; }
    }
    vd_close((int)in.r1);
    vd_close((int)out.r1);
    return rc;
}

static int cmd_delete(int argc, char **argv)
{
    if (argc < 2) return fail(RC_ERROR, "Delete: missing name (usage: Delete NAME...)", 0);
    for (int i = 1; i < argc; i++) {
        vd_ret r = vd_unlink(argv[i]);
        if (r.status == VERR_IS_DIR) r = vd_rmdir(argv[i]);
        if (r.status != 0) return fail_path(RC_ERROR, "Delete", argv[i], r.status);
    }
    return RC_OK;
}

static int cmd_makedir(int argc, char **argv)
{
    if (argc < 2) return fail(RC_ERROR, "MakeDir: missing name (usage: MakeDir NAME...)", 0);
    for (int i = 1; i < argc; i++) {
        vd_ret r = vd_mkdir(argv[i]);
        if (r.status != 0) return fail_path(RC_ERROR, "MakeDir", argv[i], r.status);
    }
    return RC_OK;
}

static int cmd_rename(int argc, char **argv)
{
    if (argc < 3) return fail(RC_ERROR, "Rename: missing argument (usage: Rename FROM TO)", 0);
    if (argc > 3) return bad_argument("Rename", argv[3], "Rename FROM TO");
    char target[LINE_MAX_LEN];
    snprintf(target, sizeof target, "%s", argv[2]);
    if (is_dir_path(argv[2])) { /* into a directory, as AmigaDOS Rename does */
        const char *base = strrchr(argv[1], '/');
        if (!base) base = strrchr(argv[1], ':');
        join(target, sizeof target, argv[2], base ? base + 1 : argv[1]);
    }
    vd_ret r = vd_rename(argv[1], target);
    return r.status != 0 ? fail_path(RC_ERROR, "Rename", argv[1], r.status) : RC_OK;
}

static int cmd_cd(int argc, char **argv)
{
    if (argc > 2) return bad_argument(argv[0], argv[2], "cd [DIR]");
    if (argc < 2) {
        char buf[LINE_MAX_LEN];
        cwd(buf, sizeof buf);
        printf("%s\n", buf);
        return RC_OK;
    }
    vd_ret r = vd_chdir(argv[1]);
    return r.status != 0 ? fail_path(RC_ERROR, "cd", argv[1], r.status) : RC_OK;
}

/* "NAME:" or "NAME" -> "NAME" in `name`; returns 0 when empty or too long. */
static int assign_name(const char *arg, char *name, usize len)
{
    usize n = strlen(arg);
    if (n > 0 && arg[n - 1] == ':') n--;
    if (n == 0 || n >= len || memchr(arg, '/', n) || memchr(arg, ':', n)) return 0;
    memcpy(name, arg, n);
    name[n] = 0;
    return 1;
}

static int cmd_assign(int argc, char **argv)
{
    char name[32];
    if (argc > 3) return bad_argument("Assign", argv[3], "Assign [NAME: [DIR]]");
    if (argc >= 2 && !assign_name(argv[1], name, sizeof name)) return bad_argument("Assign", argv[1], "Assign [NAME: [DIR]]");
    if (argc == 3) {
        struct vd_stat st;
        vd_ret s = vd_stat(argv[2], &st);
        if (s.status != 0) return fail_path(RC_ERROR, "Assign", argv[2], s.status);
        if ((st.mode & 0xf000) != 0x4000) return fail_path(RC_ERROR, "Assign", argv[2], VERR_NOT_DIR);
        vd_ret h = vd_assign_resolve(argv[2], O_RDONLY);
        if (h.status != 0) return fail_path(RC_ERROR, "Assign", argv[2], h.status);
        vd_ret r = vd_assign_set(name, (u32)h.r1, 0);
        vd_fs_close((u32)h.r1);
        return r.status != 0 ? fail_path(RC_ERROR, "Assign", argv[1], r.status) : RC_OK;
    }
    if (argc == 2) {
        vd_ret r = vd_assign_remove(name);
        return r.status != 0 ? fail_path(RC_ERROR, "Assign", argv[1], r.status) : RC_OK;
    }
    static struct vd_assign_info infos[32];
    vd_ret l = vd_assign_list(infos, 32);
    if (l.status != 0) return fail_path(RC_ERROR, "Assign", "list", l.status);
    for (long i = 0; i < l.r1; i++) printf("  %-10s %s\n", infos[i].name, infos[i].target);
    return RC_OK;
}

/* --- system commands ------------------------------------------------------------------------ */

static int cmd_version(void)
{
    char u[5 * 65];
    if (vd_uname(u).status != 0) return fail(RC_ERROR, "Version", VERR_UNKNOWN);
    printf("%s %s (%s), %s\n", u, u + 2 * 65, u + 4 * 65, u + 3 * 65);
    printf("vinit shell 0.1\n");
    return RC_OK;
}

static int cmd_uptime(void)
{
    long ms = vd_uptime().r1;
    printf("up %ld.%03ld s\n", ms / 1000, ms % 1000);
    return RC_OK;
}

static int cmd_avail(void)
{
    vd_ret m = vd_mem_info(0);
    if (m.status != 0) return fail(RC_ERROR, "Avail", m.status);
    printf("Memory: total %ld KiB, free %ld KiB, used %ld KiB\n", m.r1 / 1024, m.r2 / 1024, m.r3 / 1024);
    return RC_OK;
}

static int cmd_status(void)
{
    static struct vd_task_info tasks[64];
    static const char *states[] = { "ready", "running", "blocked", "exited" };
    vd_ret r = vd_task_list(tasks, 64);
    if (r.status != 0) return fail(RC_ERROR, "Status", r.status);
    printf("  %5s %5s %-8s %4s %-20s\n", "PID", "TID", "STATE", "PRI", "NAME");
    for (long i = 0; i < r.r1; i++)
        printf("  %5u %5u %-8s %4u %-20s\n", tasks[i].pid, tasks[i].tid, tasks[i].state < 4 ? states[tasks[i].state] : "?", tasks[i].priority, tasks[i].name);
    return RC_OK;
}

/* struct vd_cap_entry and the kind numbers from viperdos/kernel/syscall/ipc.ts; rights from cap/rights.ts. */
struct vd_cap_entry { u32 handle; u32 kind; u32 rights; u32 pad; };

static void rights_string(u32 rights, char *rs)
{
    static const char letters[] = "RWXLCDdTSVIQM"; /* READ WRITE EXECUTE LIST CREATE DELETE DERIVE TRANSFER SPAWN TRAVERSE DEVICE IRQ DMA */
    for (int b = 0; b < 13; b++) rs[b] = (rights >> b) & 1 ? letters[b] : '-';
    rs[13] = 0;
}

/* Caps: this shell's handle table (kind, rights) and its bounding set. */
static int cmd_caps(void)
{
    static const char *kinds[] = { "?", "channel", "poll", "timer", "shm", "task", "process", "file", "dir",
                                   "socket", "tls", "device", "irq", "dma", "console" };
    static struct vd_cap_entry caps[64];
    vd_ret r = vd_cap_list(caps, 64);
    if (r.status != 0) return fail_path(RC_ERROR, "Caps", "CAP_LIST", r.status);
    char rs[16];
    printf("  %-10s %-8s %s\n", "HANDLE", "KIND", "RIGHTS");
    for (long i = 0; i < r.r1; i++) {
        rights_string(caps[i].rights, rs);
        printf("  0x%08x %-8s %s\n", caps[i].handle, caps[i].kind < 15 ? kinds[caps[i].kind] : "?", rs);
    }
    printf("%ld handle%s\n", r.r1, r.r1 == 1 ? "" : "s");
    vd_ret b = vd_cap_get_bound();
    if (b.status == 0) {
        rights_string((u32)b.r1, rs);
        printf("bounding set %s (R read, W write, X execute, L list, C create, D delete, d derive,\n"
               "  T transfer, S spawn, V traverse, I device, Q irq, M dma)\n", rs);
    }
    return RC_OK;
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's public-domain algorithm). */
static void civil(long days, long *y, int *m, int *d)
{
    days += 719468;
    long era = (days >= 0 ? days : days - 146096) / 146097;
    long doe = days - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int cmd_date(int time_only)
{
    vd_ret r = vd_rtc_read();
    if (r.status != 0) return fail(RC_ERROR, "Date", r.status);
    long s = r.r1, y;
    int m, d;
    civil(s / 86400, &y, &m, &d);
    long t = s % 86400;
    if (time_only) printf("%02ld:%02ld:%02ld\n", t / 3600, t / 60 % 60, t % 60);
    else printf("%04ld-%02d-%02d %02ld:%02ld:%02ld UTC\n", y, m, d, t / 3600, t / 60 % 60, t % 60);
    return RC_OK;
}

static int cmd_help(void)
{
    printf("Built-in commands (case-insensitive; paths may start with an assign such as C: or T:):\n"
           "  Dir [path]           list a directory      List [path]    ... with sizes\n"
           "  Type file...         print files           Copy from to   copy a file\n"
           "  Delete name...       delete files/dirs     MakeDir name.. make directories\n"
           "  Rename from to       rename or move        cd [path]      change directory (chdir)\n"
           "  pwd / cwd            current directory     Path           command search path\n"
           "  Assign [NAME: [dir]] list/set/remove       Run prog args  run a program\n"
           "  read cmd args        page a built-in's output (Space, Enter, q)\n"
           "  Version Uptime Avail Status Caps Servers Date Time   system information\n"
           "  Echo Cls History Why Help EndShell       Fetch url, ssh (networking)\n"
           "Other words run programs from the current directory, C:name or C:name.prg\n"
           "(Dir C: lists them). Return codes: OK 0, WARN 5, ERROR 10, FAIL 20; Why explains.\n"
           "Keys: arrows, Home/End, Delete, Ctrl+A/E/U/K/W/L/C, Tab completes.\n");
    return RC_OK;
}

/* Servers: the user-space servers. In the hybrid design (VIPERDOS.md) the file
 * system, block and network stacks are kernel services; the display servers
 * (displayd, consoled) run only with a display. Lists the processes whose
 * name ends in "d" (server naming) and the in-kernel services. */
static int cmd_servers(void)
{
    static struct vd_task_info tasks[64];
    vd_ret r = vd_task_list(tasks, 64);
    if (r.status != 0) return fail_path(RC_ERROR, "Servers", "TASK_LIST", r.status);
    int n = 0;
    for (long i = 0; i < r.r1; i++) {
        usize l = strlen(tasks[i].name);
        if (l > 1 && tasks[i].name[l - 1] == 'd' && tasks[i].state != 3) {
            printf("  %-12s pid %u\n", tasks[i].name, tasks[i].pid);
            n++;
        }
    }
    if (n == 0) printf("No user-space servers are running (no display: displayd and consoled are not started).\n");
    printf("In the kernel: ViperFS (SYS:, D1:), virtio-blk, the console, and the network stack when a virtio-net device is present.\n");
    return RC_OK;
}

/* Fetch/ssh: programs on C: (fetch.prg, ssh.prg) that come with networking;
 * without them, say so. */
static int run_program(int argc, char **argv);

static int net_program(const char *prg, const char *what, int argc, char **argv)
{
    char path[40];
    snprintf(path, sizeof path, "C:%s.prg", prg);
    struct vd_stat st;
    if (vd_stat(path, &st).status != 0) {
        snprintf(last_why, sizeof last_why, "%s: not available yet: %s comes with networking (%s is not installed)", argv[0], what, path);
        printf("%s\n", last_why);
        return RC_WARN;
    }
    static char name[40];
    snprintf(name, sizeof name, "%s", path);
    argv[0] = name;
    return run_program(argc, argv);
}

/* --- programs ------------------------------------------------------------------------------- */

static int is_file(const char *path)
{
    struct vd_stat st;
    return vd_stat(path, &st).status == 0 && (st.mode & 0xf000) == 0x8000;
}

/* Run program `argv[0]` with the rest as its arguments; the exit status is the return code. */
static int run_program(int argc, char **argv)
{
    char path[LINE_MAX_LEN], args[LINE_MAX_LEN], dir[LINE_MAX_LEN];
    const char *name = argv[0];
    int has_prefix = strchr(name, ':') != 0 || strchr(name, '/') != 0;
    if (is_file(name)) snprintf(path, sizeof path, "%s", name);
    else if (!has_prefix && (snprintf(path, sizeof path, "C:%s", name), is_file(path))) {
    } else if (!has_prefix && (snprintf(path, sizeof path, "C:%s.prg", name), is_file(path))) {
    } else {
        snprintf(last_why, sizeof last_why, "%s: unknown command (not built in, not in the current directory or C:)", name);
        printf("%s\n", last_why);
        return RC_FAIL;
    }
    cwd(dir, sizeof dir);
    usize at = (usize)snprintf(args, sizeof args, "PWD=%s;", dir);
    for (int i = 1; i < argc && at < sizeof args; i++)
        at += (usize)snprintf(args + at, sizeof args - at, strchr(argv[i], ' ') ? "%s\"%s\"" : "%s%s", i > 1 ? " " : "", argv[i]); /* keep quoted words whole */
    const char *base = strrchr(path, '/');
    if (!base) base = strrchr(path, ':');
    base = base ? base + 1 : path;
    char pname[32];
    snprintf(pname, sizeof pname, "%s", base);
    char *dot = strrchr(pname, '.');
    if (dot && dot != pname) *dot = 0;
    fflush(stdout);
    vd_ret sp = vd_task_spawn(path, pname, args);
    if (sp.status != 0) return fail_path(RC_FAIL, "Run", path, sp.status);
    i32 status = 0;
    vd_ret w = vd_waitpid(sp.r1, &status, 0);
    if (w.status != 0) return fail_path(RC_FAIL, "Run", "WAITPID", w.status);
    if (status < 0) {
        snprintf(last_why, sizeof last_why, "%s was killed (status %d)", pname, (int)status);
        return RC_FAIL;
    }
    if (status > 128 && status < 128 + 32) { /* the kernel's exit code for death by signal (128 + sig) */
        int sig = (int)status - 128;
        if (sig == 2) printf("***Break\n"); /* Ctrl+C, as AmigaDOS reports it */
        snprintf(last_why, sizeof last_why, "%s was stopped by signal %d%s (status %d)", pname, sig,
                 sig == 2 ? " (SIGINT: Ctrl+C)" : sig == 9 ? " (SIGKILL)" : sig == 11 ? " (SIGSEGV: bad memory access)" : "", (int)status);
        return status;
    }
    if (status != 0) snprintf(last_why, sizeof last_why, "%s returned %d", pname, (int)status);
    return status;
}

/* --- the command loop ----------------------------------------------------------------------- */

static int cmd_read(int argc, char **argv);

static int cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) printf(i > 1 ? " %s" : "%s", argv[i]);
    putchar('\n');
    return RC_OK;
}

static int cmd_history(void)
{
    for (int i = 0; i < history_len; i++) printf("  %3d  %s\n", i + 1, history[i]);
    return RC_OK;
}

/* The built-in commands (struct builtin in shell.h); the table also feeds Tab completion. */
const struct builtin builtins[] = {
    { "Assign", 2, "Assign [NAME: [DIR]]" }, { "Avail", 0, "Avail" }, { "Caps", 0, "Caps" }, { "cd", 1, "cd [DIR]" },
    { "chdir", 1, "chdir [DIR]" }, { "Cls", 0, "Cls" }, { "Copy", 2, "Copy FROM TO" }, { "cwd", 0, "cwd" },
    { "Date", 0, "Date" }, { "Delete", -1, "Delete NAME..." }, { "Dir", 1, "Dir [DIR]" }, { "Echo", -1, "Echo WORDS..." },
    { "EndShell", 0, "EndShell" }, { "Fetch", -1, "Fetch URL" }, { "Help", 0, "Help" }, { "History", 0, "History" },
    { "List", 1, "List [DIR]" }, { "MakeDir", -1, "MakeDir NAME..." }, { "Path", 0, "Path" }, { "pwd", 0, "pwd" },
    { "read", -1, "read COMMAND [ARGS]" }, { "Rename", 2, "Rename FROM TO" }, { "Run", -1, "Run PROGRAM [ARGS]" },
    { "Servers", 0, "Servers" }, { "ssh", -1, "ssh [USER@]HOST" }, { "Status", 0, "Status" }, { "Time", 0, "Time" },
    { "Type", -1, "Type FILE..." }, { "Uptime", 0, "Uptime" }, { "Version", 0, "Version" }, { "Why", 0, "Why" },
    { 0, 0, 0 },
};

/* Run built-in `b` (argv[0] is its name as typed). */
static int run_builtin(const struct builtin *b, int argc, char **argv)
{
    const char *c = b->name;
    if (b->max_args >= 0 && argc - 1 > b->max_args) return bad_argument(c, argv[b->max_args + 1], b->usage);
    if (ieq(c, "Echo")) return cmd_echo(argc, argv);
    if (ieq(c, "Dir")) return list_dir("Dir", argc > 1 ? argv[1] : "", 0);
    if (ieq(c, "List")) return list_dir("List", argc > 1 ? argv[1] : "", 1);
    if (ieq(c, "Type")) return cmd_type(argc, argv);
    if (ieq(c, "Copy")) return cmd_copy(argc, argv);
    if (ieq(c, "Delete")) return cmd_delete(argc, argv);
    if (ieq(c, "MakeDir")) return cmd_makedir(argc, argv);
    if (ieq(c, "Rename")) return cmd_rename(argc, argv);
    if (ieq(c, "cd") || ieq(c, "chdir")) return cmd_cd(argc, argv);
    if (ieq(c, "pwd") || ieq(c, "cwd")) return cmd_cd(1, argv);
    if (ieq(c, "Path")) { printf("  current directory\n  C:\n"); return RC_OK; }
    if (ieq(c, "Assign")) return cmd_assign(argc, argv);
    if (ieq(c, "Run")) {
        if (argc < 2) return fail(RC_ERROR, "Run: missing program name (usage: Run PROGRAM [ARGS])", 0);
        return run_program(argc - 1, argv + 1);
    }
    if (ieq(c, "Version")) return cmd_version();
    if (ieq(c, "Uptime")) return cmd_uptime();
    if (ieq(c, "Avail")) return cmd_avail();
    if (ieq(c, "Status")) return cmd_status();
    if (ieq(c, "Caps")) return cmd_caps();
    if (ieq(c, "Servers")) return cmd_servers();
    if (ieq(c, "Date")) return cmd_date(0);
    if (ieq(c, "Time")) return cmd_date(1);
    if (ieq(c, "Cls")) { printf("\033[2J\033[H"); return RC_OK; }
    if (ieq(c, "History")) return cmd_history();
    if (ieq(c, "Why")) { printf("%s\n", last_why); return RC_OK; }
    if (ieq(c, "Help")) return cmd_help();
    if (ieq(c, "Fetch")) return net_program("fetch", "Fetch (HTTP)", argc, argv);
    if (ieq(c, "ssh")) return net_program("ssh", "ssh", argc, argv);
    if (ieq(c, "EndShell")) { running = 0; return RC_OK; }
    if (ieq(c, "read")) return cmd_read(argc, argv);
    return fail(RC_FAIL, "vinit: built-in without a handler", 0); /* a table entry above is missing its line */
}

static int execute(char *line)
{
    char *argv[MAX_ARGS];
    int argc = split(line, argv);
    if (argc == 0 || argv[0][0] == '#') return last_rc;
    for (const struct builtin *b = builtins; b->name; b++)
        if (ieq(argv[0], b->name)) return run_builtin(b, argc, argv);
    return run_program(argc, argv);
}

#define PAGE_LINES 22

/* `read <cmd>`: run a built-in command with its output captured, then page
 * it: Space a page, Enter a line, q quits. Programs' output cannot be
 * captured (a child writes to the console directly: there are no pipes), so
 * a program runs unpaged after a note saying so. */
static int cmd_read(int argc, char **argv)
{
    if (argc < 2) return fail(RC_ERROR, "read: usage read COMMAND [ARGS]", 0);
    if (capturing) return fail(RC_ERROR, "read: already paging", 0);
    int builtin = 0;
    for (const struct builtin *b = builtins; b->name; b++) builtin |= ieq(argv[1], b->name);
    if (!builtin) /* a child writes to the console itself: nothing to capture */
        printf("(read: %s is a program; its output is not paged)\n", argv[1]);
    char line[LINE_MAX_LEN];
    usize at = 0;
    for (int i = 1; i < argc && at < sizeof line; i++)
        at += (usize)snprintf(line + at, sizeof line - at, "%s%s", i > 1 ? " " : "", argv[i]);
    capturing = 1;
    capture_len = 0;
    int rc = execute(line);
    capturing = 0;
    usize pos = 0;
    int budget = PAGE_LINES;
    while (pos < capture_len) {
        char *nl = memchr(capture_buf + pos, '\n', capture_len - pos);
        usize end = nl ? (usize)(nl - capture_buf) + 1 : capture_len;
        out_write(capture_buf + pos, end - pos);
        pos = end;
        if (--budget > 0 || pos >= capture_len) continue;
        fputs("-- More -- (Space: page, Enter: line, q: quit)", stdout);
        fflush(stdout);
        char key = 'q';
        vd_ret r = vd_read(0, &key, 1);
        fputs("\r\033[K", stdout);
        if (r.status != 0 || key == 'q' || key == 'Q' || key == 3) break;
        budget = (key == '\r' || key == '\n') ? 1 : PAGE_LINES;
    }
    return rc;
}

static void remember(const char *line)
{
    if (!line[0]) return;
    if (history_len == HISTORY_MAX) {
        memmove(history[0], history[1], sizeof history[0] * (HISTORY_MAX - 1));
        history_len--;
    }
    snprintf(history[history_len++], LINE_MAX_LEN, "%s", line);
}

static void run_startup(void)
{
    vd_ret o = vd_open("S:startup", O_RDONLY);
    if (o.status != 0) return;
    static char text[4096];
    vd_ret r = vd_read((int)o.r1, text, sizeof text - 1);
    vd_close((int)o.r1);
    if (r.status != 0) return;
    text[r.r1] = 0;
    for (char *p = text; *p && running;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        last_rc = execute(p);
        p = nl ? nl + 1 : p + strlen(p);
    }
}

int main(void)
{
    char line[LINE_MAX_LEN], dir[LINE_MAX_LEN];
    run_startup();
    while (running) {
        cwd(dir, sizeof dir);
        snprintf(prompt, sizeof prompt, "%s> ", dir);
        printf("%s", prompt);
        if (!read_line(line, sizeof line)) break;
        remember(line);
        last_rc = execute(line);
        if (last_rc != RC_OK && running) printf("[rc %d]\n", last_rc);
    }
    fflush(stdout);
    return 0;
}
