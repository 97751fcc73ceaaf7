// RESULTS.jsonl: one line per finished problem (every sample's text, extracted answer, correctness and token
// counts), appended and flushed as problems finish, so an interrupted run loses only problems in flight and a rerun
// with the same file skips what is done. A torn last line (a crash mid-write) is cut off on reopening. The first line
// may name the run ({"run": {model, weights fingerprint, sampling, ...}}): a rerun that is another run (other weights at
// the same path, other settings) is refused instead of silently reporting the old samples as its own.
import Foundation
import R1Formats

/// One sample of a finished problem, as written.
public struct SampleRecord: Sendable, Equatable {
    public var index: Int
    public var seed: UInt64
    public var generated: GeneratedSample
    public var outcome: CheckOutcome

    public var scored: ScoredSample {
        ScoredSample(correct: outcome.correct, key: outcome.key, reasoningTokens: generated.reasoningTokens,
                     answerTokens: generated.answerTokens)
    }
}

public struct ProblemRecord: Sendable, Equatable {
    public var id: String
    public var samples: [SampleRecord]

    var json: JSONOut {
        .object([
            ("id", .string(id)), ("n", .int(samples.count)), ("correct", .int(samples.filter(\.outcome.correct).count)),
            ("samples", .array(samples.map { s in
                .object([
                    ("index", .int(s.index)), ("seed", .string(String(s.seed))),
                    ("answer", s.outcome.key.map { .string($0) } ?? .null), ("correct", .bool(s.outcome.correct)),
                    ("reasoning_tokens", .int(s.generated.reasoningTokens)), ("answer_tokens", .int(s.generated.answerTokens)),
                    ("finish_reason", .string(s.generated.finishReason)),
                    ("reasoning", .string(s.generated.reasoning)), ("content", .string(s.generated.content)),
                ])
            })),
        ])
    }

    init(id: String, samples: [SampleRecord]) {
        self.id = id
        self.samples = samples
    }

    init?(json v: JSONValue) {
        guard let id = v["id"]?.string, let list = v["samples"]?.array else { return nil }
        var samples: [SampleRecord] = []
        for s in list {
            guard let index = s["index"]?.int, let correct = s["correct"]?.bool else { return nil }
            let generated = GeneratedSample(reasoning: s["reasoning"]?.string ?? "", content: s["content"]?.string ?? "",
                                            reasoningTokens: s["reasoning_tokens"]?.int ?? 0,
                                            answerTokens: s["answer_tokens"]?.int ?? 0,
                                            finishReason: s["finish_reason"]?.string ?? "stop")
            samples.append(SampleRecord(index: index, seed: s["seed"]?.string.flatMap { UInt64($0) } ?? 0,
                                        generated: generated, outcome: CheckOutcome(correct: correct, key: s["answer"]?.string)))
        }
        self.id = id
        self.samples = samples
    }
}

/// The results file: what it already holds, and appends.
public final class ResultsFile: @unchecked Sendable {
    public let path: String
    /// Finished problems by id (a later line for the same id wins).
    public private(set) var done: [String: ProblemRecord] = [:]
    private let handle: FileHandle
    private let lock = NSLock()

    /// The run the file belongs to (its first line), when it names one.
    public private(set) var run: JSONValue?

    /// Opens (creating) `path`, reads its finished problems and cuts a torn last line. With `run`, a new file starts
    /// with it, and a file that names another run is an error (files that name none, from before, are taken as they are).
    public init(path: String, run: JSONOut? = nil) throws {
        self.path = path
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: nil) else { throw EvalError("\(path): cannot create the results file") }
        }
        guard let data = fm.contents(atPath: path), let h = FileHandle(forUpdatingAtPath: path) else {
            throw EvalError("\(path): cannot open the results file for reading and writing")
        }
        handle = h
        var keep = 0  // bytes of whole, valid lines
        var start = 0
        let bytes = [UInt8](data)
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            let line = Data(bytes[start..<i])
            start = i + 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { keep = start; continue }
            let v = try? JSONValue.parse(line)
            if self.run == nil, done.isEmpty, let v, v["id"] == nil, let r = v["run"] {
                self.run = r
                keep = start
                continue
            }
            guard let v, let record = ProblemRecord(json: v) else {
                throw EvalError("\(path): line \(bytes[..<i].filter { $0 == UInt8(ascii: "\n") }.count + 1) is not a results line; use another --out")
            }
            done[record.id] = record
            keep = start
        }
        let wanted = run.flatMap { try? JSONValue.parse(Data($0.text.utf8)) }
        if let wanted, let have = self.run, have != wanted {
            throw EvalError("\(path) holds the results of another run (\(Self.difference(have, wanted))); give another "
                            + "--out, or delete the file to start over")
        }
        do {
            try handle.truncate(atOffset: UInt64(keep))
            try handle.seekToEnd()
            if let run, self.run == nil, keep == 0 {
                try handle.write(contentsOf: Data((JSONOut.object([("run", run)]).text + "\n").utf8))
                try handle.synchronize()
                self.run = wanted
            }
        } catch {
            throw EvalError("\(path): cannot prepare the results file: \(error)")
        }
    }

    /// "KEY was X, now Y" for each field the two runs disagree on.
    static func difference(_ old: JSONValue, _ new: JSONValue) -> String {
        guard case .object(let a) = old, case .object(let b) = new else { return "\(old) against \(new)" }
        let show = { (v: JSONValue?) in v.map { $0.string ?? $0.description } ?? "absent" }
        return Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }
            .map { "\($0) was \(show(a[$0])), now \(show(b[$0]))" }.joined(separator: "; ")
    }

    deinit { try? handle.close() }

    /// Appends one finished problem and flushes it to disk.
    public func append(_ record: ProblemRecord) throws {
        try lock.withLock {
            do {
                try handle.write(contentsOf: Data((record.json.text + "\n").utf8))
                try handle.synchronize()
            } catch {
                throw EvalError("\(path): cannot write results: \(error)")
            }
            done[record.id] = record
        }
    }
}
