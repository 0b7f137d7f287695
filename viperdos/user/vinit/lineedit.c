/* vinit's line editor: reads one command line from the console with echo,
 * editing keys, history recall and Tab completion (read_line's comment lists
 * the keys). The console has no line discipline, so the shell does all of
 * this itself; edits redraw the line with CR, the prompt, the text and
 * ESC [ K, so a transcript of plain typing stays plain. */
#include "shell.h"

char prompt[LINE_MAX_LEN + 4];

struct edit {
    char *buf;
    int len, n, pos;
};

/* Redraw the whole line (prompt, text, clear the rest) and put the cursor back at pos. */
static void redraw(struct edit *e)
{
    e->buf[e->n] = 0;
    printf("\r%s%s\033[K", prompt, e->buf);
    for (int i = e->n; i > e->pos; i--) putchar('\b');
}

static void set_text(struct edit *e, const char *text)
{
    snprintf(e->buf, (usize)e->len, "%s", text);
    e->n = e->pos = (int)strlen(e->buf);
    redraw(e);
}

static void insert(struct edit *e, const char *text, int count)
{
    if (count > e->len - 1 - e->n) count = e->len - 1 - e->n;
    if (count <= 0) return;
    memmove(e->buf + e->pos + count, e->buf + e->pos, (usize)(e->n - e->pos));
    memcpy(e->buf + e->pos, text, (usize)count);
    e->n += count;
    e->pos += count;
    if (e->pos == e->n) { /* typing at the end: echo only (keeps transcripts plain) */
        fwrite(text, 1, (size_t)count, stdout);
        e->buf[e->n] = 0;
    } else redraw(e);
}

static int prefix_ieq(const char *word, const char *prefix, int plen)
{
    for (int i = 0; i < plen; i++) {
        char x = word[i], y = prefix[i];
        if (!x) return 0;
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y) return 0;
    }
    return 1;
}

#define MAX_MATCHES 64
static char matches[MAX_MATCHES][64];
static int match_dir[MAX_MATCHES]; /* 0 file or command, 1 directory, 2 assign */
static int nmatches;

static void add_match(const char *name, int is_dir, const char *prefix, int plen)
{
    if (nmatches >= MAX_MATCHES || !prefix_ieq(name, prefix, plen)) return;
    for (int i = 0; i < nmatches; i++) if (strcmp(matches[i], name) == 0) return;
    snprintf(matches[nmatches], sizeof matches[0], "%s", name);
    match_dir[nmatches++] = is_dir;
}

/* Directory entries of `dir` ("" = current) starting with prefix; strip_prg drops ".prg" (commands from C:). */
static void match_dir_entries(const char *dir, const char *prefix, int plen, int strip_prg)
{
    char here[LINE_MAX_LEN];
    if (!dir[0]) {
        cwd(here, sizeof here);
        dir = here;
    }
    vd_ret o = vd_open(dir, O_RDONLY);
    if (o.status != 0) return;
    char buf[1024];
    for (;;) {
        vd_ret r = vd_readdir((int)o.r1, buf, sizeof buf);
        if (r.status != 0 || r.r1 == 0) break;
        for (long at = 0; at < (long)r.r1;) {
            u16 reclen = *(u16 *)(buf + at + 8);
            char name[64];
            snprintf(name, sizeof name, "%s", buf + at + 12);
            usize nl = strlen(name);
            if (strip_prg && nl > 4 && strcmp(name + nl - 4, ".prg") == 0) name[nl - 4] = 0;
            add_match(name, buf[at + 10] == 2, prefix, plen);
            at += reclen;
        }
    }
    vd_close((int)o.r1);
}

/* Assign names ("C:", "T:", ...) starting with prefix: a path's first component. */
static void match_assigns(const char *prefix, int plen)
{
    static struct vd_assign_info infos[32];
    vd_ret l = vd_assign_list(infos, 32);
    for (long i = 0; l.status == 0 && i < l.r1; i++) {
        char name[40];
        snprintf(name, sizeof name, "%s:", infos[i].name);
        add_match(name, 2, prefix, plen);
    }
}

/* Tab: complete the word before the cursor (a command name first, else a path). */
static void complete(struct edit *e)
{
    int start = e->pos;
    while (start > 0 && e->buf[start - 1] != ' ') start--;
    char word[LINE_MAX_LEN];
    int wlen = e->pos - start;
    memcpy(word, e->buf + start, (usize)wlen);
    word[wlen] = 0;
    nmatches = 0;
    const char *prefix = word;
    int first = 1;
    for (int i = 0; i < start; i++) if (e->buf[i] != ' ') first = 0;
    char *sep = strrchr(word, '/');
    if (!sep) sep = strrchr(word, ':');
    if (sep) {
        char dir[LINE_MAX_LEN];
        memcpy(dir, word, (usize)(sep - word + 1));
        dir[sep - word + 1] = 0;
        if (dir[sep - word] == '/' && sep != word) dir[sep - word] = 0; /* "a/b/" -> "a/b" */
        prefix = sep + 1;
        match_dir_entries(dir, prefix, (int)strlen(prefix), 0);
    } else {
        int plen = (int)strlen(prefix);
        /* The word after Run is a program name too. */
        char w0[16];
        int i0 = 0;
        while (i0 < start && e->buf[i0] == ' ') i0++;
        int l0 = 0;
        while (i0 + l0 < start && e->buf[i0 + l0] != ' ' && l0 < 15) { w0[l0] = e->buf[i0 + l0]; l0++; }
        w0[l0] = 0;
        int second = !first && ieq(w0, "Run");
        for (int k = i0 + l0; k < start && second; k++) if (e->buf[k] != ' ') second = 0;
        if (second) match_dir_entries("C:", prefix, plen, 1);
        if (!first) match_assigns(prefix, plen);
        if (first) {
            for (int i = 0; builtins[i].name; i++) add_match(builtins[i].name, 0, prefix, plen);
            match_dir_entries("C:", prefix, plen, 1);
        }
        match_dir_entries("", prefix, plen, 0);
    }
    int plen = (int)strlen(prefix);
    if (nmatches == 0) { putchar('\a'); return; }
    /* The longest common prefix of the matches (case-insensitive). */
    int common = (int)strlen(matches[0]);
    for (int i = 1; i < nmatches; i++) {
        int j = 0;
        while (j < common && matches[i][j] && prefix_ieq(matches[i] + j, matches[0] + j, 1)) j++;
        common = j;
    }
    if (nmatches == 1) {
        char tail[80];
        snprintf(tail, sizeof tail, "%s%s", matches[0] + plen, match_dir[0] == 1 ? "/" : match_dir[0] == 2 ? "" : " "); /* dir/, assign:, word + blank */
        insert(e, tail, (int)strlen(tail));
        return;
    }
    if (common > plen) {
        insert(e, matches[0] + plen, common - plen);
        return;
    }
    putchar('\n');
    for (int i = 0; i < nmatches; i++) printf("%s%s%s", matches[i], match_dir[i] == 1 ? "/" : "", i + 1 < nmatches ? "  " : "\n");
    redraw(e);
}

/* Read one line from the console with echo and editing: Left/Right, Home/End
 * (also Ctrl+A/E), Up/Down history, Backspace, Delete, Ctrl+U/K (kill to the
 * start/end), Ctrl+W (kill the word before the cursor), Ctrl+L (clear the
 * screen), Ctrl+C (drop the line), Tab (completion). Returns 0 when the
 * console cannot be read. */
int read_line(char *buf, int len)
{
    struct edit e = { buf, len, 0, 0 };
    int esc = 0, hist = history_len;
    char saved[LINE_MAX_LEN] = "";
    char param = 0;
    buf[0] = 0;
    for (;;) {
        char ch;
        fflush(stdout);
        vd_ret r = vd_read(0, &ch, 1);
        if (r.status != 0 || r.r1 != 1) return 0;
        if (esc == 1) { /* ESC seen: CSI (ESC [) or SS3 (ESC O) */
            esc = (ch == '[' || ch == 'O') ? 2 : 0;
            param = 0;
            continue;
        }
        if (esc == 2) {
            if (ch >= '0' && ch <= '9') { param = ch; continue; }
            if (ch == ';') continue;
            esc = 0;
            if (ch == '~') ch = param == '3' ? 'X' : (param == '1' || param == '7') ? 'H' : (param == '4' || param == '8') ? 'F' : 0;
            switch (ch) {
            case 'A': /* Up: older history */
                if (hist > 0) {
                    if (hist == history_len) snprintf(saved, sizeof saved, "%s", buf);
                    set_text(&e, history[--hist]);
                }
                break;
            case 'B': /* Down: newer history, then the line being typed */
                if (hist < history_len) {
                    hist++;
                    set_text(&e, hist == history_len ? saved : history[hist]);
                }
                break;
            case 'C': if (e.pos < e.n) { e.pos++; redraw(&e); } break;
            case 'D': if (e.pos > 0) { e.pos--; putchar('\b'); } break;
            case 'H': e.pos = 0; redraw(&e); break;
            case 'F': e.pos = e.n; redraw(&e); break;
            case 'X': /* Delete: the character under the cursor */
                if (e.pos < e.n) {
                    memmove(buf + e.pos, buf + e.pos + 1, (usize)(e.n - e.pos - 1));
                    e.n--;
                    redraw(&e);
                }
                break;
            default: break;
            }
            continue;
        }
        switch (ch) {
        case '\r':
        case '\n':
            buf[e.n] = 0;
            putchar('\n');
            return 1;
        case 27: esc = 1; break;
        case 8:
        case 127:
            if (e.pos == 0) break;
            if (e.pos == e.n) {
                e.pos--;
                e.n--;
                buf[e.n] = 0;
                printf("\b \b");
            } else {
                memmove(buf + e.pos - 1, buf + e.pos, (usize)(e.n - e.pos));
                e.pos--;
                e.n--;
                redraw(&e);
            }
            break;
        case 1: e.pos = 0; redraw(&e); break;     /* Ctrl+A */
        case 5: e.pos = e.n; redraw(&e); break;   /* Ctrl+E */
        case 11: e.n = e.pos; redraw(&e); break;  /* Ctrl+K */
        case 23: {                                /* Ctrl+W: the word before the cursor */
            int from = e.pos;
            while (from > 0 && buf[from - 1] == ' ') from--;
            while (from > 0 && buf[from - 1] != ' ') from--;
            memmove(buf + from, buf + e.pos, (usize)(e.n - e.pos));
            e.n -= e.pos - from;
            e.pos = from;
            redraw(&e);
            break;
        }
        case 12: printf("\033[2J\033[H"); redraw(&e); break; /* Ctrl+L: clear the screen, keep the line */
        case 21:                                  /* Ctrl+U */
            memmove(buf, buf + e.pos, (usize)(e.n - e.pos));
            e.n -= e.pos;
            e.pos = 0;
            redraw(&e);
            break;
        case 3: /* Ctrl+C */
            printf("^C\n");
            buf[0] = 0;
            return 1;
        case 9: complete(&e); break;
        default:
            if ((unsigned char)ch >= 32) insert(&e, &ch, 1);
            break;
        }
    }
}

