// The loss curves of a run as a standalone SVG: training loss per step (a line), evaluation loss (dots), axes with
// their ranges. Opens in any browser.
import Foundation

public enum LossCurve {
    public static func svg(train: [(step: Int, loss: Double)], eval: [(step: Int, loss: Double)], title: String) -> String {
        let w = 720.0, h = 400.0, left = 64.0, right = 16.0, top = 32.0, bottom = 40.0
        let all = (train + eval).filter { $0.loss.isFinite }
        let maxStep = Double(max(1, all.map(\.step).max() ?? 1))
        var lo = all.map(\.loss).min() ?? 0, hi = all.map(\.loss).max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        func x(_ s: Int) -> Double { left + (w - left - right) * Double(s) / maxStep }
        func y(_ l: Double) -> Double { top + (h - top - bottom) * (hi - l) / (hi - lo) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"20\" font-size=\"14\">\(esc(title))</text>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(h - bottom))\" x2=\"\(f(w - right))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
        for i in 0...4 {
            let l = lo + (hi - lo) * Double(i) / 4
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(y(l) + 4))\" text-anchor=\"end\">\(String(format: "%.3f", l))</text>\n"
            let s = Int((maxStep * Double(i) / 4).rounded())
            out += "<text x=\"\(f(x(s)))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\">\(s)</text>\n"
        }
        out += "<text x=\"\(f((left + w) / 2))\" y=\"\(f(h - 6))\" text-anchor=\"middle\">step</text>\n"
        let points = train.filter { $0.loss.isFinite }.map { "\(f(x($0.step))),\(f(y($0.loss)))" }.joined(separator: " ")
        if !points.isEmpty {
            out += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
        }
        for e in eval where e.loss.isFinite {
            out += "<circle cx=\"\(f(x(e.step)))\" cy=\"\(f(y(e.loss)))\" r=\"3.5\" fill=\"#d62728\"/>\n"
        }
        out += "<text x=\"\(f(w - right - 150))\" y=\"20\" fill=\"#1f77b4\">— train</text>\n"
        out += "<text x=\"\(f(w - right - 80))\" y=\"20\" fill=\"#d62728\">● eval</text>\n"
        return out + "</svg>\n"
    }
}

extension LossCurve {
    /// One named series of (step, value) points.
    public struct Series: Sendable {
        public var name: String
        public var points: [(step: Int, value: Double)]
        public init(name: String, points: [(step: Int, value: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// Several series over the same steps, one panel each with its own value axis, stacked (GRPO's reward,
    /// accuracy and response length).
    public static func panels(_ series: [Series], title: String) -> String {
        let w = 720.0, panelH = 180.0, left = 64.0, right = 16.0, top = 32.0, gap = 28.0
        let h = top + Double(series.count) * (panelH + gap)
        let colors = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e"]
        let maxStep = Double(max(1, series.flatMap { $0.points.map(\.step) }.max() ?? 1))
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func x(_ s: Int) -> Double { left + (w - left - right) * Double(s) / maxStep }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"20\" font-size=\"14\">\(esc(title))</text>\n"
        for (k, s) in series.enumerated() {
            let y0 = top + Double(k) * (panelH + gap) + 16, y1 = y0 + panelH - 16
            let values = s.points.map(\.value).filter(\.isFinite)
            var lo = values.min() ?? 0, hi = values.max() ?? 1
            if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
            func y(_ v: Double) -> Double { y0 + (y1 - y0) * (hi - v) / (hi - lo) }
            let color = colors[k % colors.count]
            out += "<text x=\"\(f(left))\" y=\"\(f(y0 - 4))\" fill=\"\(color)\">\(esc(s.name))</text>\n"
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y1))\" x2=\"\(f(w - right))\" y2=\"\(f(y1))\" stroke=\"black\"/>\n"
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y0))\" x2=\"\(f(left))\" y2=\"\(f(y1))\" stroke=\"black\"/>\n"
            for i in 0...2 {
                let v = lo + (hi - lo) * Double(i) / 2
                out += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(String(format: "%.3g", v))</text>\n"
                let st = Int((maxStep * Double(i) / 2).rounded())
                out += "<text x=\"\(f(x(st)))\" y=\"\(f(y1 + 14))\" text-anchor=\"middle\">\(st)</text>\n"
            }
            let pts = s.points.filter { $0.value.isFinite }.map { "\(f(x($0.step))),\(f(y($0.value)))" }.joined(separator: " ")
            if !pts.isEmpty { out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(pts)\"/>\n" }
        }
        return out + "</svg>\n"
    }
}
