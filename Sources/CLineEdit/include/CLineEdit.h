/*
 * CLineEdit: a thin, fixed-arity shim over libedit's readline-compatible API, plus the
 * SIGINT flag and terminal queries the shell needs.
 *
 * No libedit type or global is visible here, so Swift 6 never touches the rl_* globals
 * (it rejects them as not concurrency-safe).
 *
 * Ownership: strings returned by qle_readline are malloc'ed and freed with qle_free.
 * Strings passed in are only borrowed for the duration of the call.
 *
 * Threading: the line-editing and history functions drive one process-wide libedit
 * instance and must be called from one thread at a time (the REPL's main loop). The
 * interrupt functions are async-signal-safe and may be called from any thread.
 *
 * Positions: completion positions count Unicode code points (libedit's wchar_t), not
 * UTF-8 bytes. The Swift side converts them to and from Characters.
 */
#ifndef QAT_CLINEEDIT_H
#define QAT_CLINEEDIT_H

#ifdef __cplusplus
extern "C" {
#endif

/* MARK: - Line editing */

/* Prepares libedit: sets LC_CTYPE from the environment (without it, non-ASCII input is
 * silently dropped), turns off libedit's filename-completion fallback and the space it
 * appends after a unique match. Safe to call more than once. */
void qle_init(void);

/* Makes libedit draw the prompt and the line being edited on stderr instead of stdout, for a
 * terminal on stdin whose stdout is a pipe (`qat-repl | tee log`). Call before qle_init. */
void qle_prompt_on_stderr(void);

/* Reads one line with editing, history and completion. Returns NULL on end of input
 * (Ctrl-D on an empty line) and when a signal such as SIGINT interrupted the read;
 * qle_interrupt_pending() tells the two apart. The result has no trailing newline and is
 * freed with qle_free. */
char *qle_readline(const char *prompt);

/* Frees a string returned by qle_readline. */
void qle_free(char *line);

/* MARK: - History */

/* Adds one entry to the in-memory history (embedded newlines are kept). */
void qle_history_add(const char *entry);

/* Keeps at most max_entries entries in memory (the oldest are dropped). */
void qle_history_stifle(int max_entries);

/* Loads entries from a history file written by qle_history_write. Returns 0 or an errno
 * value (ENOENT for a first run is normal). */
int qle_history_read(const char *path);

/* Rewrites the whole history file, keeping at most max_entries entries. Writes a sibling
 * temporary file and renames it over path, so the file is never left half-written.
 * Never appends: append_history corrupted files in this libedit version. Returns 0 or an
 * errno value. */
int qle_history_write(const char *path, int max_entries);

/* MARK: - Completion */

/* An opaque list the completer fills with candidates. */
typedef struct qle_candidates qle_candidates;

/* Appends a copy of a UTF-8 candidate to the list. */
void qle_candidates_add(qle_candidates *list, const char *candidate);

/* The completer called on Tab.
 *   line:   the whole line being edited, UTF-8, NUL-terminated.
 *   cursor: the cursor position in code points.
 *   out:    where to add candidates; each is the full text that replaces the line from
 *           the returned start up to the cursor.
 * Returns the start of the replaced text in code points (0 ... cursor), or -1 for no
 * completion. Adding no candidates also means no completion. */
typedef int (*qle_completer)(const char *line, int cursor, qle_candidates *out);

/* Installs the completer (NULL removes it). Without one, Tab completes nothing: libedit's
 * default filename completion is never used. */
void qle_set_completer(qle_completer completer);

/* MARK: - Interrupts */

/* Installs a SIGINT handler (sigaction without SA_RESTART, so a blocked read returns
 * EINTR and readline gives up) that only sets a flag. Idempotent. Returns 0 or errno. */
int qle_install_sigint_handler(void);

/* 1 if SIGINT arrived since the last qle_clear_interrupt, else 0. */
int qle_interrupt_pending(void);

/* Forgets a pending SIGINT. */
void qle_clear_interrupt(void);

/* MARK: - Terminal */

/* 1 if fd is a terminal, else 0. */
int qle_isatty(int fd);

/* The width of the terminal on stdout (then stderr, then stdin), or 80 if none. */
int qle_terminal_columns(void);

/* The height of the terminal on stdout (then stderr, then stdin), or 24 if none. */
int qle_terminal_rows(void);

/* While a cell runs the terminal is in its normal (cooked) mode, where the driver echoes
 * Ctrl-C as "^C" with no newline, so the "interrupted" message would start right after it.
 * qle_control_echo_off() turns that echo (ECHOCTL) off on stdin if it is a terminal and
 * remembers whether it was on; qle_control_echo_restore() puts it back. Ordinary echo of
 * typed-ahead input is untouched, and pending input is not discarded. No-ops when stdin is
 * not a terminal or the platform has no ECHOCTL. Return 0 or an errno value. */
int qle_control_echo_off(void);
int qle_control_echo_restore(void);

#ifdef __cplusplus
}
#endif

#endif /* QAT_CLINEEDIT_H */
