/* edit FILE: a full-screen text editor over ANSI escapes on the console.
 *
 * Opens FILE (or starts an empty buffer when it does not exist yet) in the
 * terminal's alternate screen: the text on top, an inverse-video status line
 * at the bottom (name, modified mark, line/column, keys). Keys:
 *   arrows, Home/End (also Ctrl+A/E), PgUp/PgDn  move
 *   printable keys, Enter, Tab                     insert
 *   Backspace, Delete (also Ctrl+D), Ctrl+K        delete (Ctrl+K: to the end of the line)
 *   Ctrl+S save, Ctrl+Q quit (twice when there are unsaved changes)
 * The screen size comes from TTY_GET_SIZE, else from asking the terminal
 * (a cursor position report after moving to 999;999, answered within
 * 300 ms), else 24 x 80. The whole text
 * lives in one buffer of up to 256 KiB; longer files are refused. Exits 0,
 * 10 when FILE is missing or cannot be opened/read (a directory, ...), 20
 * when the console cannot be read. */
#include <string.h>
#include <stdio.h>
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>

#define O_RDONLY 0
#define O_WRONLY 1
#define O_CREAT 0x40
#define O_TRUNC 0x200
#define MAX_TEXT (256 * 1024)
#define TAB 8

struct vd_stat { u64 ino; u32 mode; u32 links; u64 size; u64 blocks; u64 atime; u64 mtime; u64 ctime; };

static char text[MAX_TEXT];
static long len;      /* bytes in text */
static long cur;      /* cursor: offset into text */
static long top;      /* offset of the first line shown */
static long coloff;   /* first display column shown */
static long want_col = -1; /* display column Up/Down aim for (-1: the cursor's) */
static int rows = 24, cols = 80;
static int modified, quit_armed;
static const char *path;
static char message[128];

/* --- the frame: built in memory, written with one call ---------------------------------------- */
static char frame[128 * 1024]; /* a full screen of up to 200 x 300 with its escapes */
static usize flen;

static void emit(const char *s, usize n)
{
    if (n > sizeof frame - flen) n = sizeof frame - flen;
    memcpy(frame + flen, s, n);
    flen += n;
}

static void emits(const char *s) { emit(s, strlen(s)); }

static void flush_frame(void)
{
    usize at = 0;
    while (at < flen) {
        vd_ret w = vd_write(1, frame + at, flen - at);
        if (w.status != 0 || w.r1 <= 0) break;
        at += (usize)w.r1;
    }
    flen = 0;
}

/* --- text geometry ---------------------------------------------------------------------------- */

static long line_start(long at)
{
    while (at > 0 && text[at - 1] != '\n') at--;
    return at;
}

static long line_end(long at)
{
    while (at < len && text[at] != '\n') at++;
    return at;
}

/* Display column of offset `at` within its line (tabs to the next multiple of TAB). */
static long column_of(long at)
{
    long c = 0;
    for (long i = line_start(at); i < at; i++) c = text[i] == '\t' ? (c / TAB + 1) * TAB : c + 1;
    return c;
}

/* The offset in the line starting at `start` closest to display column `col`. */
static long offset_at_column(long start, long col)
{
    long c = 0, i = start;
    while (i < len && text[i] != '\n') {
        long next = text[i] == '\t' ? (c / TAB + 1) * TAB : c + 1;
        if (next > col) break;
        c = next;
        i++;
    }
    return i;
}

static long line_number(long at)
{
    long n = 1;
    for (long i = 0; i < at; i++) n += text[i] == '\n';
    return n;
}

/* Keep the cursor on screen: move `top` by whole lines, `coloff` by columns. */
static void scroll(void)
{
    int text_rows = rows - 1;
    long cs = line_start(cur);
    if (cs < top) top = cs;
    for (;;) { /* is the cursor's line within text_rows lines of top? */
        long at = top;
        int r = 0;
        while (r < text_rows - 1 && at < cs) {
            at = line_end(at) + 1;
            r++;
        }
        if (at >= cs) break;
        top = line_end(top) + 1;
    }
    long col = column_of(cur);
    if (col < coloff) coloff = col;
    if (col >= coloff + cols) coloff = col - cols + 1;
}

/* --- drawing ---------------------------------------------------------------------------------- */

static void draw_line(long start)
{
    long c = 0;
    int shown = 0;
    for (long i = start; i < len && text[i] != '\n' && shown < cols; i++) {
        long next = text[i] == '\t' ? (c / TAB + 1) * TAB : c + 1;
        for (long k = c; k < next && shown < cols; k++) {
            if (k >= coloff) {
                char ch = text[i] == '\t' ? ' ' : ((unsigned char)text[i] < 32 ? '?' : text[i]);
                emit(&ch, 1);
                shown++;
            }
        }
        c = next;
    }
}

static void draw(void)
{
    char tmp[256];
    scroll();
    emits("\033[?25l\033[H");
    long at = top;
    int past = 0; /* below the last line: "~" as vi shows it */
    for (int r = 0; r < rows - 1; r++) {
        if (past) emits("~");
        else {
            draw_line(at);
            long e = line_end(at);
            if (e >= len) past = 1;
            else at = e + 1;
        }
        emits("\033[K\r\n");
    }
    long total = line_number(len) - (len > 0 && text[len - 1] == '\n');
    if (total < 1) total = 1;
    int n = snprintf(tmp, sizeof tmp, " %s%s  line %ld/%ld col %ld  %s", path, modified ? " [modified]" : "", line_number(cur), total,
                     column_of(cur) + 1, message[0] ? message : "^S save  ^Q quit");
    if (n > cols) n = cols;
    emits("\033[7m");
    emit(tmp, (usize)n);
    for (int i = n; i < cols; i++) emit(" ", 1);
    emits("\033[0m");
    long crow = 0;
    for (long i = top; i < line_start(cur); i++) crow += text[i] == '\n';
    snprintf(tmp, sizeof tmp, "\033[%ld;%ldH\033[?25h", crow + 1, column_of(cur) - coloff + 1);
    emits(tmp);
    flush_frame();
}

/* --- editing ---------------------------------------------------------------------------------- */

static void insert_bytes(const char *s, long n)
{
    if (len + n > MAX_TEXT) {
        snprintf(message, sizeof message, "buffer full (%d KiB)", MAX_TEXT / 1024);
        return;
    }
    memmove(text + cur + n, text + cur, (usize)(len - cur));
    memcpy(text + cur, s, (usize)n);
    len += n;
    cur += n;
    modified = 1;
}

static void delete_range(long from, long to)
{
    if (to <= from) return;
    memmove(text + from, text + to, (usize)(len - to));
    len -= to - from;
    cur = from;
    modified = 1;
}

static void move_vertical(long lines)
{
    if (want_col < 0) want_col = column_of(cur);
    long s = line_start(cur);
    for (; lines < 0 && s > 0; lines++) s = line_start(s - 1);
    for (; lines > 0; lines--) {
        long e = line_end(s);
        if (e >= len) break;
        s = e + 1;
    }
    cur = offset_at_column(s, want_col);
}

/* "edit: <path>: <reason> (error N)" as the shell prints errors (no doubled
 * colon after an assign such as "C:"); returns ERROR 10. */
static int open_error(long code)
{
    usize n = strlen(path);
    printf("edit: %s%s%s (error %ld)\n", path, n && path[n - 1] == ':' ? " " : ": ", vd_error_message(code), code);
    return 10;
}

static int load(void)
{
    struct vd_stat st;
    vd_ret s = vd_stat(path, &st);
    if (s.status == VERR_NOT_FOUND) {
        snprintf(message, sizeof message, "new file");
        return 0;
    }
    if (s.status != 0) return open_error(s.status);
    if ((st.mode & 0xf000) == 0x4000) return open_error(VERR_IS_DIR);
    if (st.size > MAX_TEXT) {
        printf("edit: %s: too large (%lu bytes; the editor holds %d KiB)\n", path, (unsigned long)st.size, MAX_TEXT / 1024);
        return 10;
    }
    vd_ret o = vd_open(path, O_RDONLY);
    if (o.status != 0) return open_error(o.status);
    for (;;) {
        vd_ret r = vd_read((int)o.r1, text + len, (usize)(MAX_TEXT - len));
        if (r.status != 0) {
            vd_close((int)o.r1);
            return open_error(r.status);
        }
        if (r.r1 == 0 || len + r.r1 >= MAX_TEXT) {
            len += r.r1;
            break;
        }
        len += r.r1;
    }
    vd_close((int)o.r1);
    snprintf(message, sizeof message, "read %ld bytes", len);
    return 0;
}

static void save(void)
{
    vd_ret o = vd_open(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (o.status != 0) {
        snprintf(message, sizeof message, "cannot save: %s", vd_error_message(o.status));
        return;
    }
    long at = 0;
    while (at < len) {
        vd_ret w = vd_write((int)o.r1, text + at, (usize)(len - at));
        if (w.status != 0 || w.r1 <= 0) {
            vd_close((int)o.r1);
            snprintf(message, sizeof message, "cannot save: %s", vd_error_message(w.status ? w.status : VERR_IO));
            return;
        }
        at += w.r1;
    }
    vd_fsync((int)o.r1);
    vd_close((int)o.r1);
    modified = 0;
    snprintf(message, sizeof message, "wrote %ld bytes", len);
}

/* A key that arrived instead of the terminal's size report; fed first. */
static unsigned char early[1];
static int nearly;
/* A poll set on the console: is more input already there (skip redrawing)? */
static u32 console_poll;
static int have_console_poll;

static int input_pending(void)
{
    struct vd_poll_event ev[1];
    if (!have_console_poll) return 0;
    vd_ret w = vd_poll_wait(console_poll, ev, 1, 0);
    return w.status == 0 && w.r1 > 0;
}

/* Ask the terminal for its size: move far down-right, request the cursor
 * position (ESC [ 6 n), read "ESC [ rows ; cols R" for up to 300 ms (poll on
 * the console), one byte at a time so nothing meant for the shell after us
 * is taken. A first byte that is not ESC is a key (piped input, where no
 * report comes): it is kept and the question dropped. Returns 1 when the
 * terminal answered. */
static int ask_terminal_size(void)
{
    if (!have_console_poll) return 0;
    u32 poll = console_poll;
    int ok = 0;
    {
        emits("\0337\033[999;999H\033[6n\0338");
        flush_frame();
        char reply[32];
        int n = 0;
        u64 until = (u64)vd_time_now().r1 + 300;
        while (!ok) {
            u64 now = (u64)vd_time_now().r1;
            if (now >= until) break;
            struct vd_poll_event ev[1];
            vd_ret w = vd_poll_wait(poll, ev, 1, (i64)(until - now));
            if (w.status != 0 || w.r1 == 0) break;
            unsigned char ch;
            vd_ret r = vd_read(0, &ch, 1);
            if (r.status != 0 || r.r1 != 1) break;
            if (n == 0 && ch != 27) { /* a key, not a report: no answer is coming (a pipe); keep it */
                early[nearly++] = ch;
                break;
            }
            if (n < (int)sizeof reply - 1) reply[n++] = (char)ch;
            if (ch == 'R') {
                reply[n] = 0;
                long r2 = 0, c2 = 0;
                char *p = reply + 2;
                while (*p >= '0' && *p <= '9') r2 = r2 * 10 + (*p++ - '0');
                if (*p == ';') p++;
                while (*p >= '0' && *p <= '9') c2 = c2 * 10 + (*p++ - '0');
                if (reply[1] == '[' && r2 >= 3 && r2 <= 200 && c2 >= 10 && c2 <= 300) {
                    rows = (int)r2;
                    cols = (int)c2;
                    ok = 1;
                }
                n = 0;
            }
        }
    }
    return ok;
}

/* One key (after escape decoding). Returns 0 to quit. */
enum { K_UP = 256, K_DOWN, K_RIGHT, K_LEFT, K_HOME, K_END, K_DEL, K_PGUP, K_PGDN };

static int key(int k)
{
    int keep_col = 0, was_armed = quit_armed;
    message[0] = 0;
    quit_armed = 0;
    switch (k) {
    case 17: /* Ctrl+Q */
        if (modified && !was_armed) {
            snprintf(message, sizeof message, "unsaved changes: ^Q again to quit, ^S to save");
            quit_armed = 1;
            return 1;
        }
        return 0;
    case 19: save(); break;                        /* Ctrl+S */
    case K_UP: move_vertical(-1); keep_col = 1; break;
    case K_DOWN: move_vertical(1); keep_col = 1; break;
    case K_PGUP: move_vertical(-(rows - 2)); keep_col = 1; break;
    case K_PGDN: move_vertical(rows - 2); keep_col = 1; break;
    case K_LEFT: if (cur > 0) cur--; break;
    case K_RIGHT: if (cur < len) cur++; break;
    case 1: case K_HOME: cur = line_start(cur); break;   /* Ctrl+A */
    case 5: case K_END: cur = line_end(cur); break;      /* Ctrl+E */
    case 127: case 8: if (cur > 0) delete_range(cur - 1, cur); break;
    case 4: case K_DEL: if (cur < len) delete_range(cur, cur + 1); break;
    case 11: { /* Ctrl+K: to the end of the line, or the newline itself at the end */
        long e = line_end(cur);
        delete_range(cur, e > cur ? e : (e < len ? e + 1 : e));
        break;
    }
    case '\r': case '\n': insert_bytes("\n", 1); break;
    case '\t': insert_bytes("\t", 1); break;
    default:
        if (k >= 32 && k < 256) {
            char ch = (char)k;
            insert_bytes(&ch, 1);
        }
        break;
    }
    if (!keep_col) want_col = -1;
    return 1;
}

/* Decode escape sequences (CSI and SS3) from the console into keys. */
static int esc_state;
static char esc_param;

static int feed(unsigned char ch)
{
    if (esc_state == 1) {
        esc_state = (ch == '[' || ch == 'O') ? 2 : 0;
        esc_param = 0;
        return esc_state ? 1 : key(ch);
    }
    if (esc_state == 2) {
        if (ch >= '0' && ch <= '9') { esc_param = (char)ch; return 1; }
        if (ch == ';') return 1;
        esc_state = 0;
        switch (ch) {
        case 'A': return key(K_UP);
        case 'B': return key(K_DOWN);
        case 'C': return key(K_RIGHT);
        case 'D': return key(K_LEFT);
        case 'H': return key(K_HOME);
        case 'F': return key(K_END);
        case '~':
            switch (esc_param) {
            case '1': case '7': return key(K_HOME);
            case '4': case '8': return key(K_END);
            case '3': return key(K_DEL);
            case '5': return key(K_PGUP);
            case '6': return key(K_PGDN);
            default: return 1;
            }
        default: return 1;
        }
    }
    if (ch == 27) {
        esc_state = 1;
        return 1;
    }
    return key(ch);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        printf("edit: usage edit FILE\n");
        return 10;
    }
    path = argv[1];
    int rc = load();
    if (rc) return rc;
    vd_ret sz = vd_tty_get_size();
    long sr = sz.status == 0 ? (long)((u64)sz.r1 >> 32) : 0, sc = sz.status == 0 ? (long)(sz.r1 & 0xffffffff) : 0;
    fflush(stdout);
    emits("\033[?1049h\033[2J"); /* the alternate screen: the shell's screen comes back on quit */
    vd_ret ps = vd_poll_create();
    if (ps.status == 0 && vd_poll_add((u32)ps.r1, VD_CONSOLE_HANDLE, VD_POLL_CONSOLE).status == 0) {
        console_poll = (u32)ps.r1;
        have_console_poll = 1;
    }
    if (sr >= 3 && sr <= 200 && sc >= 10 && sc <= 300) {
        rows = (int)sr;
        cols = (int)sc;
    } else ask_terminal_size();
    rc = 0;
    int go = 1;
    for (int i = 0; i < nearly && go; i++) go = feed(early[i]);
    /* One byte per read: after ^Q the rest of the input is the shell's (a
     * script piped into the console); the screen is redrawn only when no more
     * input is waiting, so pasted text does not redraw per character. */
    for (; go;) {
        if (!input_pending()) draw();
        unsigned char ch;
        vd_ret r = vd_read(0, &ch, 1);
        if (r.status != 0 || r.r1 != 1) { rc = 20; break; }
        go = feed(ch);
    }
    emits("\033[2J\033[H\033[?1049l");
    flush_frame();
    return rc;
}
