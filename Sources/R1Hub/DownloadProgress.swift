// The download progress line: bytes, speed and ETA, redrawn in place on a terminal, plain lines otherwise.
import Foundation

public final class DownloadProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal: Bool
    private let quiet: Bool
    private var label = ""
    private var total: Int?
    private var done = 0
    private var started = Date()
    private var resumedFrom = 0
    private var lastDraw = Date.distantPast
    private var lastPercentLine = -1

    /// `terminal`: redraw one line on stderr; else a plain line every 10%; `quiet`: nothing.
    public init(terminal: Bool = isatty(STDERR_FILENO) != 0, quiet: Bool = false) {
        self.terminal = terminal
        self.quiet = quiet
    }

    func start(_ name: String, total: Int?, resumedFrom: Int) {
        lock.withLock {
            label = name; self.total = total; done = resumedFrom; self.resumedFrom = resumedFrom
            started = Date(); lastDraw = .distantPast; lastPercentLine = -1
        }
        if resumedFrom > 0 { message("\(name): resuming at \(formatBytes(resumedFrom))") }
        draw(force: true)
    }

    func add(_ n: Int) {
        lock.withLock { done += n }
        draw(force: false)
    }

    func reset(to n: Int) {
        lock.withLock { done = n; resumedFrom = n; started = Date() }
    }

    func finish() {
        draw(force: true)
        if terminal && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    public func message(_ s: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[2K" : "") + s + "\n").utf8))
    }

    private func draw(force: Bool) {
        guard !quiet else { return }
        let line: String? = lock.withLock {
            let now = Date()
            let percent = total.map { $0 > 0 ? done * 100 / $0 : 100 }
            if terminal {
                guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return nil }
            } else {
                let step = (percent ?? 0) / 10
                guard force && percent == 100 || step > lastPercentLine else { return nil }
                lastPercentLine = step
            }
            lastDraw = now
            let seconds = max(now.timeIntervalSince(started), 1e-3)
            let speed = Double(done - resumedFrom) / seconds
            var s = label + "  " + formatBytes(done)
            if let t = total {
                s += " / " + formatBytes(t)
                if terminal {
                    let width = 24, filled = t > 0 ? min(width, done * width / t) : width
                    s = label + "  [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "]"
                        + String(format: " %3d%%  ", percent ?? 0) + formatBytes(done) + " / " + formatBytes(t)
                } else {
                    s += String(format: " (%d%%)", percent ?? 0)
                }
                s += "  " + formatBytes(Int(speed)) + "/s"
                if speed > 0, t > done { s += "  ETA " + formatDuration(Double(t - done) / speed) }
            } else {
                s += "  " + formatBytes(Int(speed)) + "/s"
            }
            return s
        }
        guard let l = line else { return }
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[2K" + l : l + "\n").utf8))
    }
}

public func formatBytes(_ n: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var v = Double(n), i = 0
    while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
}

func formatDuration(_ s: Double) -> String {
    let t = Int(s.rounded())
    return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
}
