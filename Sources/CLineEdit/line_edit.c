/* The CLineEdit shim: see include/CLineEdit.h for the contract. */
#include "CLineEdit.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <editline/readline.h>

/* MARK: - Line editing */

static qle_completer current_completer = NULL;

static char **attempted_completion(const char *text, int start, int end);
static void history_search_install(void);
static void history_search_reset(void);

/* Returns no match, so libedit's fallback completion can never list files on its own. */
static char *no_entry(const char *text, int state) {
  (void)text;
  (void)state;
  return NULL;
}

void qle_init(void) {
  setlocale(LC_CTYPE, "");
  using_history(); /* initializes libedit's readline emulation */
  rl_attempted_completion_function = attempted_completion;
  rl_completion_entry_function = no_entry;
  /* A unique match gets no trailing space: a directory continues with a file name, a
   * path inside a string with the closing quote, a name with `(` or `.`. */
  rl_completion_append_character = '\0';
  history_search_install();
}

void qle_prompt_on_stderr(void) { rl_outstream = stderr; }

char *qle_readline(const char *prompt) {
  history_search_reset(); /* a new line starts a new search */
  return readline(prompt);
}

void qle_free(char *line) { free(line); }

/* MARK: - History */

void qle_history_add(const char *entry) { add_history(entry); }

void qle_history_stifle(int max_entries) { stifle_history(max_entries); }

/* libedit's read_history and write_history return 0 or an errno value. */
int qle_history_read(const char *path) { return read_history(path); }

int qle_history_write(const char *path, int max_entries) {
  size_t length = strlen(path);
  char *temporary = malloc(length + 32);
  if (temporary == NULL) return ENOMEM;
  snprintf(temporary, length + 32, "%s.tmp%ld", path, (long)getpid());

  stifle_history(max_entries);
  int status = write_history(temporary);
  if (status != 0) {
    unlink(temporary);
    free(temporary);
    return status;
  }
  if (rename(temporary, path) != 0) {
    int error = errno;
    unlink(temporary);
    free(temporary);
    return error;
  }
  free(temporary);
  return 0;
}

/* MARK: - Up and Down: history search by prefix */

/* Up and Down recall only the entries that start with what was typed before the cursor, as
 * bash's history-search-backward and IPython do; on an empty line they browse every entry.
 *
 * libedit's own ed-search-prev-history is no substitute: it matches the typed text anywhere in
 * an entry, as a regular expression (so `train(` finds nothing), and reuses a stale pattern on
 * an empty line. And a function bound through the readline emulation can neither redraw the
 * line nor move the cursor. So each arrow is a macro of three key sequences: ^XP (or ^XN) runs
 * the search below, which replaces the line and rebinds ^XF to what must follow (move to the
 * end, empty the line, or beep when nothing matched); then ^XR redraws the line. */

static char *search_typed = NULL; /* the line as it was when this search began */
static size_t search_prefix = 0;  /* how many of its bytes an entry must start with */
static char *search_shown = NULL; /* what the search last put in the line */
static int search_index = 0;      /* where that came from: 0 oldest ... history_length typed */

static void history_search_reset(void) {
  free(search_typed);
  free(search_shown);
  search_typed = search_shown = NULL;
}

static void follow_with(const char *command) {
  char binding[64];
  snprintf(binding, sizeof binding, "bind ^XF %s", command);
  rl_parse_and_bind(binding);
}

/* direction -1: older (Up), +1: newer (Down). */
static int search_by_prefix(int direction) {
  const char *line = rl_line_buffer != NULL ? rl_line_buffer : "";
  /* A line the search did not put there (typed, or edited after a recall) starts a new one. */
  if (search_typed == NULL || search_shown == NULL || strcmp(line, search_shown) != 0) {
    history_search_reset();
    search_typed = strdup(line);
    if (search_typed == NULL) {
      follow_with("ed-unassigned");
      return 0;
    }
    size_t length = strlen(search_typed);
    search_prefix = rl_point <= 0 ? 0 : ((size_t)rl_point > length ? length : (size_t)rl_point);
    search_index = history_length;
  }
  const char *found = NULL;
  int index = search_index;
  while (found == NULL) {
    index += direction;
    if (index < 0 || index > history_length) break;
    if (index == history_length) {
      found = search_typed; /* back below the newest entry: what was typed */
      break;
    }
    HIST_ENTRY *entry = history_get(history_base + index);
    if (entry != NULL && entry->line != NULL && strncmp(entry->line, search_typed, search_prefix) == 0 &&
        strcmp(entry->line, line) != 0) {
      found = entry->line;
    }
  }
  if (found == NULL) {
    follow_with("ed-unassigned"); /* beeps; the line stays */
    return 0;
  }
  search_index = index;
  char *shown = strdup(found);
  if (found[0] != '\0') {
    rl_replace_line(found, 0); /* keeps the cursor where it was: ^XF moves it to the end */
    follow_with("ed-move-to-end");
  } else {
    follow_with("em-kill-line"); /* rl_replace_line refuses an empty line */
  }
  free(search_shown);
  search_shown = shown;
  return 0;
}

static int history_search_older(int count, int key) {
  (void)count;
  (void)key;
  return search_by_prefix(-1);
}

static int history_search_newer(int count, int key) {
  (void)count;
  (void)key;
  return search_by_prefix(+1);
}

static void history_search_install(void) {
  /* rl_add_defun binds the function to its plain key too ('P', 'N'); the readline emulation
   * dispatches on a sequence's last key, so the sequences ^XP and ^XN reach them, and the
   * plain keys are given back to typing. */
  rl_add_defun("qat-history-older", history_search_older, 'P');
  rl_add_defun("qat-history-newer", history_search_newer, 'N');
  rl_parse_and_bind("bind P ed-insert");
  rl_parse_and_bind("bind N ed-insert");
  rl_parse_and_bind("bind ^XP qat-history-older");
  rl_parse_and_bind("bind ^XN qat-history-newer");
  rl_parse_and_bind("bind ^XR ed-redisplay");
  follow_with("ed-move-to-end");
  /* Arrows in normal and in application cursor mode. */
  rl_parse_and_bind("bind -s ^[[A ^XP^XF^XR");
  rl_parse_and_bind("bind -s ^[OA ^XP^XF^XR");
  rl_parse_and_bind("bind -s ^[[B ^XN^XF^XR");
  rl_parse_and_bind("bind -s ^[OB ^XN^XF^XR");
}

/* MARK: - Completion */

struct qle_candidates {
  char **items;
  size_t count;
  size_t capacity;
};

void qle_candidates_add(qle_candidates *list, const char *candidate) {
  if (list == NULL || candidate == NULL) return;
  if (list->count == list->capacity) {
    size_t capacity = list->capacity == 0 ? 16 : list->capacity * 2;
    char **items = realloc(list->items, capacity * sizeof(char *));
    if (items == NULL) return;
    list->items = items;
    list->capacity = capacity;
  }
  char *copy = strdup(candidate);
  if (copy == NULL) return;
  list->items[list->count++] = copy;
}

static void candidates_free(qle_candidates *list) {
  for (size_t i = 0; i < list->count; i++) free(list->items[i]);
  free(list->items);
  list->items = NULL;
  list->count = list->capacity = 0;
}

void qle_set_completer(qle_completer completer) { current_completer = completer; }

/* The byte offset of code point number `points` in UTF-8 text (or its end). */
static size_t byte_offset(const char *text, int points) {
  int seen = 0;
  size_t i = 0;
  for (; text[i] != '\0'; i++) {
    if (((unsigned char)text[i] & 0xC0) != 0x80) {
      if (seen == points) return i;
      seen++;
    }
  }
  return i;
}

static char *concatenate(const char *head, size_t head_length, const char *tail) {
  size_t tail_length = strlen(tail);
  char *result = malloc(head_length + tail_length + 1);
  if (result == NULL) return NULL;
  memcpy(result, head, head_length);
  memcpy(result + head_length, tail, tail_length + 1);
  return result;
}

/* libedit replaces its own word (found with its word-break characters, from `lib_start`
 * to the cursor), not the one the completer chose. Re-express each candidate relative to
 * libedit's word: prepend the text between the two starts, or drop it (and candidates
 * that do not begin with it). */
static void rebase(qle_candidates *list, const char *line, int lib_start, int start) {
  if (start == lib_start) return;
  size_t lib_byte = byte_offset(line, lib_start);
  size_t start_byte = byte_offset(line, start);
  size_t kept = 0;
  for (size_t i = 0; i < list->count; i++) {
    char *item = list->items[i];
    char *rebased = NULL;
    if (start > lib_start) {
      rebased = concatenate(line + lib_byte, start_byte - lib_byte, item);
    } else if (strncmp(item, line + start_byte, lib_byte - start_byte) == 0) {
      rebased = strdup(item + (lib_byte - start_byte));
    }
    free(item);
    if (rebased != NULL) list->items[kept++] = rebased;
  }
  list->count = kept;
}

/* The longest common prefix of the candidates, cut back to a whole code point. */
static char *common_prefix(const qle_candidates *list) {
  const char *first = list->items[0];
  size_t length = strlen(first);
  for (size_t i = 1; i < list->count; i++) {
    size_t n = 0;
    while (n < length && list->items[i][n] == first[n]) n++;
    length = n;
  }
  while (length > 0 && ((unsigned char)first[length] & 0xC0) == 0x80) length--;
  return concatenate(first, length, "");
}

/* readline's convention: matches[0] replaces the word (the common prefix, or the unique
 * match), matches[1...] are listed on a second Tab, and a NULL ends the array. libedit
 * frees the array and its strings. */
static char **attempted_completion(const char *text, int start, int end) {
  /* Reset by libedit after every completion; set each time so its filename completion
   * never runs when the completer has nothing to offer. */
  rl_attempted_completion_over = 1;
  if (current_completer == NULL) return NULL;
  const char *line = rl_line_buffer != NULL ? rl_line_buffer : "";

  qle_candidates list = {NULL, 0, 0};
  int chosen = current_completer(line, end, &list);
  if (chosen < 0 || chosen > end) {
    candidates_free(&list);
    return NULL;
  }
  rebase(&list, line, start, chosen);
  if (list.count == 0) {
    candidates_free(&list);
    return NULL;
  }

  char **matches = calloc(list.count + 2, sizeof(char *));
  if (matches == NULL) {
    candidates_free(&list);
    return NULL;
  }
  if (list.count == 1) {
    matches[0] = list.items[0];
  } else {
    char *prefix = common_prefix(&list);
    /* Never let Tab delete what was typed: keep the word if the prefix is shorter. */
    if (prefix != NULL && strncmp(prefix, text, strlen(text)) != 0) {
      free(prefix);
      prefix = NULL;
    }
    matches[0] = prefix != NULL ? prefix : strdup(text);
    if (matches[0] == NULL) {
      free(matches);
      candidates_free(&list);
      return NULL;
    }
    for (size_t i = 0; i < list.count; i++) matches[i + 1] = list.items[i];
  }
  free(list.items); /* the strings now belong to matches */
  return matches;
}

/* MARK: - Interrupts */

static atomic_int sigint_pending = 0;
static atomic_int sigint_installed = 0;

static void on_sigint(int signal_number) {
  (void)signal_number;
  atomic_store_explicit(&sigint_pending, 1, memory_order_relaxed);
}

int qle_install_sigint_handler(void) {
  if (atomic_exchange(&sigint_installed, 1) == 1) return 0;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0; /* no SA_RESTART: a blocking read must return EINTR */
  if (sigaction(SIGINT, &action, NULL) != 0) {
    atomic_store(&sigint_installed, 0);
    return errno;
  }
  /* A parent may have started us with SIGINT blocked (the mask survives exec); a blocked
     Ctrl-C would stay pending forever, so unblock it for this thread. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  return 0;
}

int qle_interrupt_pending(void) {
  return atomic_load_explicit(&sigint_pending, memory_order_relaxed);
}

void qle_clear_interrupt(void) { atomic_store_explicit(&sigint_pending, 0, memory_order_relaxed); }

/* MARK: - Terminal */

int qle_isatty(int fd) { return isatty(fd) ? 1 : 0; }

/* The rows (or columns) of the terminal on stdout, then stderr, then stdin; 0 if none says. */
static int terminal_extent(int rows) {
  const int descriptors[] = {STDOUT_FILENO, STDERR_FILENO, STDIN_FILENO};
  for (size_t i = 0; i < sizeof descriptors / sizeof descriptors[0]; i++) {
    struct winsize size;
    if (ioctl(descriptors[i], TIOCGWINSZ, &size) != 0) continue;
    int extent = rows ? size.ws_row : size.ws_col;
    if (extent > 0) return extent;
  }
  return 0;
}

int qle_terminal_columns(void) {
  int columns = terminal_extent(0);
  return columns > 0 ? columns : 80;
}

int qle_terminal_rows(void) {
  int rows = terminal_extent(1);
  return rows > 0 ? rows : 24;
}

/* Whether qle_control_echo_off cleared ECHOCTL, so restore sets it again. Main thread only. */
static int control_echo_cleared = 0;

int qle_control_echo_off(void) {
#ifdef ECHOCTL
  if (control_echo_cleared || !isatty(STDIN_FILENO)) return 0;
  struct termios settings;
  if (tcgetattr(STDIN_FILENO, &settings) != 0) return errno;
  if ((settings.c_lflag & ECHOCTL) == 0) return 0;
  settings.c_lflag &= ~(tcflag_t)ECHOCTL;
  /* TCSANOW, not TCSAFLUSH: input typed ahead for the next prompt must survive. */
  if (tcsetattr(STDIN_FILENO, TCSANOW, &settings) != 0) return errno;
  control_echo_cleared = 1;
#endif
  return 0;
}

int qle_control_echo_restore(void) {
#ifdef ECHOCTL
  if (!control_echo_cleared) return 0;
  control_echo_cleared = 0;
  struct termios settings;
  if (tcgetattr(STDIN_FILENO, &settings) != 0) return errno;
  settings.c_lflag |= ECHOCTL;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &settings) != 0) return errno;
#endif
  return 0;
}
