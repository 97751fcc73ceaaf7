// A line editor for the terminal (raw mode via termios, as linenoise does): arrows, Home/End, Ctrl-A/E/B/F/K/U/W/L,
// Backspace/Delete, history (Up/Down) kept in a file, lines wider than the terminal, redrawn on SIGWINCH.
import Dispatch
import Foundation

final class LineEditor: @unchecked Sendable {
    private let lock = NSLock()
    private let historyPath: String?
    private(set) var history: [String] = []
    private var buffer: [Character] = []
    private var cursor = 0
    private var prompt = ""
    private var cursorRow = 0  // rows between the prompt's first row and the cursor, as last drawn
    private var original = termios()
    private var winch: (any DispatchSourceSignal)?
    static let historyLimit = 1000

    /// `$XDG_CONFIG_HOME/r1/history`, else `~/.config/r1/history`.
    static var defaultHistoryPath: String {
        let env = ProcessInfo.processInfo.environment
        let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        return config + "/r1/history"
    }

    init(historyPath: String? = LineEditor.defaultHistoryPath) {
        self.historyPath = historyPath
        if let p = historyPath, let text = try? String(contentsOfFile: p, encoding: .utf8) {
            history = text.split(separator: "\n").map(String.init).suffix(Self.historyLimit)
        }
        signal(SIGWINCH, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        source.setEventHandler { [weak self] in self?.lock.withLock { self?.redraw() } }
        source.resume()
        winch = source
    }

    deinit { winch?.cancel() }

    /// One line; nil on Ctrl-D at an empty line or end of input.
    func readLine(prompt: String) -> String? {
        guard enterRawMode() else {
            Output.write(prompt)
            return Swift.readLine()
        }
        defer { tcsetattr(STDIN_FILENO, TCSAFLUSH, &original) }
        lock.withLock {
            self.prompt = prompt
            buffer = []
            cursor = 0
            cursorRow = 0
            redraw()
        }
        var browsing = history.count  // index into history while Up/Down browse; count = the new line
        var draft: [Character] = []
        while true {
            guard let byte = readByte() else { return nil }
            let done: String?? = lock.withLock {
                switch byte {
                case 13, 10:  // Enter
                    cursor = buffer.count
                    redraw()
                    Output.write("\r\n")
                    return .some(String(buffer))
                case 4:  // Ctrl-D: leave on an empty line, else delete under the cursor
                    if buffer.isEmpty { Output.write("\r\n"); return .some(nil) }
                    if cursor < buffer.count { buffer.remove(at: cursor) }
                case 1: cursor = 0                                                   // Ctrl-A
                case 5: cursor = buffer.count                                        // Ctrl-E
                case 2: cursor = max(0, cursor - 1)                                  // Ctrl-B
                case 6: cursor = min(buffer.count, cursor + 1)                       // Ctrl-F
                case 11: buffer.removeSubrange(cursor...)                            // Ctrl-K
                case 21: buffer.removeSubrange(..<cursor); cursor = 0                // Ctrl-U
                case 23:                                                             // Ctrl-W
                    var start = cursor
                    while start > 0 && buffer[start - 1] == " " { start -= 1 }
                    while start > 0 && buffer[start - 1] != " " { start -= 1 }
                    buffer.removeSubrange(start..<cursor)
                    cursor = start
                case 12: Output.write("\u{1B}[H\u{1B}[2J"); cursorRow = 0              // Ctrl-L
                case 127, 8:                                                         // Backspace
                    if cursor > 0 { buffer.remove(at: cursor - 1); cursor -= 1 }
                case 27:
                    switch readEscape() {
                    case "[D": cursor = max(0, cursor - 1)
                    case "[C": cursor = min(buffer.count, cursor + 1)
                    case "[H", "OH", "[1~", "[7~": cursor = 0
                    case "[F", "OF", "[4~", "[8~": cursor = buffer.count
                    case "[3~": if cursor < buffer.count { buffer.remove(at: cursor) }
                    case "[A":
                        if browsing > 0 {
                            if browsing == history.count { draft = buffer }
                            browsing -= 1
                            buffer = Array(history[browsing]); cursor = buffer.count
                        }
                    case "[B":
                        if browsing < history.count {
                            browsing += 1
                            buffer = browsing == history.count ? draft : Array(history[browsing]); cursor = buffer.count
                        }
                    default: break
                    }
                default:
                    if byte >= 32, let c = readCharacter(first: byte) {
                        buffer.insert(c, at: cursor)
                        cursor += 1
                    }
                }
                redraw()
                return nil
            }
            if let result = done { return result }
        }
    }

    /// Adds a line to the history and its file (not empty lines or a repeat of the last one).
    func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty, history.last != line, !line.contains("\n") else { return }
        history.append(line)
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        guard let p = historyPath else { return }
        try? FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? Data((history.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: p), options: .atomic)
    }

    // MARK: - Terminal

    private func enterRawMode() -> Bool {
        guard isatty(STDIN_FILENO) != 0, tcgetattr(STDIN_FILENO, &original) == 0 else { return false }
        var raw = original
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN)  // ISIG stays: Ctrl-C still reaches the chat's handler
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        return tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0
    }

    private func readByte() -> UInt8? {
        var b: UInt8 = 0
        while true {
            let n = read(STDIN_FILENO, &b, 1)
            if n == 1 { return b }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    /// The rest of an escape sequence after ESC: "[A", "[3~", "OH", ...
    private func readEscape() -> String {
        guard let a = readByte() else { return "" }
        var s = String(UnicodeScalar(a))
        guard a == UInt8(ascii: "[") || a == UInt8(ascii: "O") else { return s }
        while let b = readByte() {
            s.append(Character(UnicodeScalar(b)))
            if b >= 0x40 && b <= 0x7E { break }
        }
        return s
    }

    private func readCharacter(first: UInt8) -> Character? {
        var bytes = [first]
        let extra = first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : 0
        for _ in 0..<extra { guard let b = readByte() else { break }; bytes.append(b) }
        return String(decoding: bytes, as: UTF8.self).first
    }

    private var columns: Int {
        var w = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0 && w.ws_col > 0 ? Int(w.ws_col) : 80
    }

    /// Redraws prompt and buffer from the prompt's first row, wrapping at the terminal width (linenoise's multi-line
    /// mode); the prompt's escape codes take no columns.
    private func redraw() {
        let cols = columns
        let promptWidth = visibleWidth(prompt)
        let total = promptWidth + buffer.count
        let at = promptWidth + cursor
        var out = ""
        if cursorRow > 0 { out += "\u{1B}[\(cursorRow)A" }
        out += "\r\u{1B}[J" + prompt + String(buffer)
        if total > 0 && total % cols == 0 { out += "\r\n" }  // past the last column: start the next row
        let endRow = total / cols, targetRow = at / cols
        if endRow > targetRow { out += "\u{1B}[\(endRow - targetRow)A" }
        out += "\r" + (at % cols > 0 ? "\u{1B}[\(at % cols)C" : "")
        cursorRow = targetRow
        Output.write(out)
    }

    private func visibleWidth(_ s: String) -> Int {
        var n = 0, inEscape = false
        for u in s.unicodeScalars {
            if inEscape { if u.value >= 0x40 && u.value <= 0x7E && u != "[" { inEscape = false }; continue }
            if u == "\u{1B}" { inEscape = true; continue }
            n += 1
        }
        return n
    }
}
