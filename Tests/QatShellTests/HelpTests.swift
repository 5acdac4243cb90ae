import Foundation
import Testing
@testable import QatShell
import QatsLanguage

/// Help and discovery: the shortcuts other shells taught users, concept and keyword topics, help
/// wrapped at the terminal's width, and `:vars PATTERN`.
@Suite struct HelpTests {
  @Test func shortcutsShowWhatHelpShows() {
    let s = CapturedSession()
    let len = s.input(":help len")
    #expect(len.hasPrefix("len(x)\n"))
    for form in ["?len", "len?", "? len", "??len", "len??", "help(len)", "help( \"len\" )", "help (len)", ":doc len"] {
      #expect(s.input(form) == len, "\(form)")
    }
    let overview = s.input(":help")
    for form in ["help", "help()", "?"] { #expect(s.input(form) == overview, "\(form)") }
    #expect(s.input("?qat") == s.input(":help qat"))
    #expect(s.input("help(\nlen)") == len)
    // None of them is a cell: the numbering and the saved script are untouched.
    #expect(s.session.prompt == "[1] ptq> ")
    #expect(s.session.savedInputs.isEmpty)
    #expect(s.err.isEmpty)
  }

  @Test func quitAndExitLeave() {
    for form in ["quit", "exit", "quit()", "exit( )"] {
      let s = CapturedSession()
      #expect(s.input(form) == "", "\(form)")
      #expect(s.session.quitRequested, "\(form)")
    }
    // Piped input stops at `quit`, like `:quit`.
    let s = CapturedSession()
    var lines = ["x = 1", "quit", "print(\"not reached\")"][...]
    #expect(ReadLoop.piped(s.session, readLine: { lines.popFirst() }) == .success)
    #expect(s.out.isEmpty && lines == ["print(\"not reached\")"])
  }

  /// `help`, `quit` and `exit` are ordinary names: a session that defines one gets it back.
  @Test func definedNamesWinOverTheShortcuts() {
    let s = CapturedSession()
    #expect(s.input("help = 3", "help") == "3\n")
    #expect(s.input("fn quit() { return 7 }", "quit()") == "7\n")
    #expect(s.input("exit = \"still here\"", "exit") == "still here\n")
    #expect(!s.session.quitRequested)
    // `?help` still asks for help, since `?` is not qats syntax; it names the variable.
    #expect(s.input("?help").hasPrefix("`help` is a variable of this session: int 3"))
    // Other text that merely contains the words goes to the parser as before.
    let t = CapturedSession()
    #expect(t.input("x = \"what?\"", "x") == "what?\n")
    #expect(t.input("help + 1").contains("unknown name `help`"))
  }

  @Test func helpNamesVariablesAndHiddenBuiltins() {
    let s = CapturedSession()
    s.input("alpha = [1, 2]", "len = 4")
    #expect(s.input("alpha?") == "`alpha` is a variable of this session: list [1, 2]\n  :vars lists the variables\n")
    #expect(s.input("?len").hasSuffix("(a variable `len` of this session, int, hides it)\n"))
    // The predefined `ptq` is not a user variable: its help is the concept's.
    #expect(s.input("?ptq").hasPrefix("ptq — post-training quantization"))
    #expect(s.input(":help " + String(repeating: "x", count: 5000)).count < 100)
  }

  @Test func conceptsAndKeywordsHaveHelpAndAreListed() {
    let s = CapturedSession()
    let overview = s.input(":help")
    let required = [
      "mode", "ptq", "qat", "observers", "per_channel", "bits", "folding", "equalization", "bias_correction", "ste",
      "lsq", "integer", "for", "fn", "if",
      "in", "return", "while", "else", "break", "continue", "and", "or", "not", "true", "false", "nil",
    ]
    for name in required {
      let text = s.input(":help \(name)")
      #expect(text.hasPrefix("\(name) — "), "\(name): \(text)")
      #expect(text.split(separator: "\n").count >= 2, "\(name)")
      #expect(overview.contains(" \(name),") || overview.contains(" \(name)\n"), "\(name) is listed")
    }
    // Every reserved word has help (`model` is a built-in, documented from the registry).
    for keyword in Keyword.allCases { #expect(!s.input(":help \(keyword.rawValue)").hasPrefix("no help")) }
    #expect(s.input(":help model").hasPrefix("model(data:"))
    #expect(s.input(":help observer") == s.input(":help observers"))
    #expect(s.input(":help foldng").contains("did you mean `folding`?"))
  }

  /// The concepts are written beside the registry, so they must not hide a built-in or topic, and
  /// the options they name must be real parameters with the choices the registry declares.
  @Test func conceptsAgreeWithTheRegistry() throws {
    let s = CapturedSession()
    let registry = s.session.interpreter.registry
    for topic in HelpTopics.concepts + HelpTopics.keywords {
      #expect(registry.lookup(topic.name) == nil && !registry.topics.contains(topic.name), "\(topic.name)")
    }
    let quantize = try #require(registry.lookup("quantize"))
    let prepare = try #require(registry.lookup("prepare"))
    let known = Set((quantize.parameters + prepare.parameters).map(\.name) + ["method"])
    let option = try Regex("`([a-z_]+): ")
    for topic in HelpTopics.concepts {
      for match in topic.text.matches(of: option) {
        guard let name = match.output[1].substring.map(String.init) else { continue }
        #expect(known.contains(name), "`\(name):` in :help \(topic.name) is not a quantize/prepare parameter")
      }
    }
    let observers = try #require(quantize.parameters.first { $0.name == "observer" })
    guard case .choice(let kinds) = observers.type else {
      Issue.record("observer is not a choice")
      return
    }
    let text = try #require(HelpTopics.lookup("observers")).text
    for kind in kinds { #expect(text.contains("\"\(kind)\""), "\(kind)") }
    let defaults = Dictionary(uniqueKeysWithValues: quantize.parameters.map { ($0.name, $0.defaultValue?.repr) })
    for (name, value) in [("samples", "256"), ("epochs", "3"), ("lr", "0.01"), ("freeze_bn", "1")] {
      #expect(defaults[name] == value, "\(name)")
    }
  }

  @Test func helpIsWrappedAtTheTerminalWidthNeverMidWord() {
    final class Columns: @unchecked Sendable { var value = 40 }
    let columns = Columns()
    var out = ""
    let session = Session(
      options: SessionOptions(color: false, width: 100, seed: 0, title: "t", liveWidth: { columns.value }),
      console: Console(out: { out += $0 }, err: { out += $0 }))
    let wide = CapturedSession()
    for topic in ["", "quantize", "qat", "observers", "language", "quantization"] {
      for width in [40, 23] {
        columns.value = width
        out = ""
        session.runInput(":help \(topic)")
        let unwrapped = HelpText.render(topic, registry: session.interpreter.registry)
        // The same words in the same order, only the line breaks moved.
        #expect(out.split(whereSeparator: \.isWhitespace) == unwrapped.split(whereSeparator: \.isWhitespace))
        for line in out.split(separator: "\n") where line.count > width {
          // Only a single word longer than the width may stick out.
          #expect(line.split(separator: " ").count == 1, "\(width): \(line)")
        }
      }
    }
    // A 100-column session keeps lines that fit as they were.
    #expect(wide.input(":help range").hasPrefix("range(a, b: int?, step: 1)\n  The integers from"))
  }

  @Test func wrappingKeepsIndentationAndAlignment() {
    #expect(HelpText.wrap("  one two three four", width: 10) == "  one two\n  three\n  four")
    #expect(
      HelpText.wrap("  :vars      lists the variables", width: 30) == "  :vars      lists the\n             variables")
    // An aligned column beyond half the width is not kept: the rest would be too narrow.
    #expect(HelpText.wrap("  :vars      lists the variables", width: 24) == "  :vars      lists the\n  variables")
    #expect(HelpText.wrap("a supercalifragilistic word", width: 8) == "a\nsupercalifragilistic\nword")
    #expect(HelpText.wrap("short\n\n  x", width: 3) == "short\n\n  x")
    #expect(HelpText.wrap("      ", width: 2) == "      ")
    #expect(HelpText.wrap("a b", width: 0) == "a\nb")
  }

  @Test func varsFiltersBySubstringOrGlob() {
    let s = CapturedSession()
    s.input("net = 1", "netB = 2", "q4 = 3", "q8 = 4", "my_net = 5")
    #expect(s.input(":vars net*") == "net   int  1\nnetB  int  2\n")
    #expect(s.input(":vars NET") == "my_net  int  5\nnet     int  1\nnetB    int  2\n")
    #expect(s.input(":vars q?") == "q4  int  3\nq8  int  4\n")
    #expect(s.input(":vars *net") == "my_net  int  5\nnet     int  1\n")
    #expect(s.input(":vars \"q*\"") == "q4  int  3\nq8  int  4\n")
    #expect(s.input(":vars zz").hasPrefix("no variable matches `zz` (5 variables;"))
    #expect(s.input(":vars").split(separator: "\n").count == 5)
    #expect(NamePattern("a*b*c*d*e*f*g*h*").matches(String(repeating: "a", count: 2000)) == false)
    #expect(NamePattern("*").matches("") && NamePattern("").matches("x") && !NamePattern("xy").matches("x"))
  }

  /// A `:` command is one line even when it ends like an unfinished expression.
  @Test func metaCommandsEndAtTheLineEnd() {
    let s = CapturedSession()
    var lines = ["net1 = 1", ":vars net*", ":vars zz", ":time 1 +", "  2"][...]
    #expect(ReadLoop.piped(s.session, readLine: { lines.popFirst() }) == .success)
    #expect(s.out.hasPrefix("net1  int  1\nno variable matches `zz`"))
    #expect(s.out.contains("\n3\ntime: "))
  }

  @Test func dumbTerminalsAndNoColorGetNoColour() {
    #expect(Terminal.colorEnabled(noColorFlag: false, isTTY: true, environment: ["TERM": "xterm-256color"]))
    #expect(!Terminal.colorEnabled(noColorFlag: false, isTTY: true, environment: ["TERM": "dumb"]))
    #expect(!Terminal.colorEnabled(noColorFlag: false, isTTY: true, environment: ["NO_COLOR": "1"]))
    #expect(Terminal.colorEnabled(noColorFlag: false, isTTY: true, environment: ["NO_COLOR": ""]))
    #expect(!Terminal.colorEnabled(noColorFlag: true, isTTY: true, environment: [:]))
    #expect(!Terminal.colorEnabled(noColorFlag: false, isTTY: false, environment: [:]))
    #expect(Terminal.isDumb(["TERM": "dumb"]) && !Terminal.isDumb([:]))
  }
}
