// A whole file mapped read-only into memory (mmap PROT_READ, MAP_PRIVATE); weights are read in place, never copied.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole regular file, unmapped when the last reference goes away.
public final class MappedFile: @unchecked Sendable {
    /// The path as given.
    public let path: String
    /// The file's bytes; valid for the lifetime of this object.
    public let bytes: UnsafeRawBufferPointer

    /// Maps `path`. Throws `FormatError` naming the path for a missing, unreadable, empty or non-regular file.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FormatError(path, "cannot open: \(MappedFile.errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FormatError(path, "cannot stat: \(MappedFile.errnoText())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FormatError(path, "not a regular file") }
        let size = Int(st.st_size)
        guard size > 0 else { throw FormatError(path, "empty file (0 bytes)") }
        let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let base, base != MAP_FAILED else {
            throw FormatError(path, "cannot mmap \(size) bytes: \(MappedFile.errnoText())")
        }
        bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(base), count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// File size in bytes.
    public var count: Int { bytes.count }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
