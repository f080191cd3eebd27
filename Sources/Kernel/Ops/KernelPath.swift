import CKernelSIMD

/// How the integer GEMM is executed. Every path computes the same exact integers
/// (specs/kernel.md §3.4); paths differ only in speed.
public enum KernelPath: String, Sendable, CaseIterable, Codable {
    /// The fastest path available on this CPU (vnni, else avx2, else scalar).
    case auto
    /// Plain Swift loops: the reference.
    case scalar
    /// AVX2 C micro-kernels (sign-extend + `vpmaddwd`).
    case avx2
    /// AVX-512 VNNI C micro-kernels (`vpdpbusd`, +128 offset trick).
    case vnni
    /// OpenBLAS SGEMM on K-chunks small enough to be exact (§3.4), summed in int32.
    case blas

    /// CPU feature bits from the C probe: 1 = AVX2, 2 = AVX-512 VNNI.
    public static let cpuFeatures: UInt32 = mesh_simd_features()

    /// Whether this path can run on this CPU.
    public var isAvailable: Bool {
        switch self {
        case .auto, .scalar, .blas: return true
        case .avx2: return Self.cpuFeatures & 1 != 0
        case .vnni: return Self.cpuFeatures & 2 != 0
        }
    }

    /// The concrete path `auto` stands for; other paths are returned as they are.
    ///
    /// - Throws: `KernelError.pathUnavailable` if the CPU lacks the path's instructions.
    public func resolved() throws(KernelError) -> KernelPath {
        switch self {
        case .auto:
            if KernelPath.vnni.isAvailable { return .vnni }
            if KernelPath.avx2.isAvailable { return .avx2 }
            return .scalar
        default:
            guard isAvailable else { throw .pathUnavailable(rawValue) }
            return self
        }
    }

    /// The concrete paths usable on this CPU (for cross-path tests).
    public static var availableConcrete: [KernelPath] {
        [.scalar, .avx2, .vnni, .blas].filter(\.isAvailable)
    }
}

/// Execution options of the kernel: GEMM path and worker threads.
public struct ExecutionOptions: Sendable, Equatable {
    public var path: KernelPath
    /// Worker threads (>= 1); output channels are split between them.
    public var threads: Int

    public init(path: KernelPath = .auto, threads: Int = 1) {
        self.path = path
        self.threads = max(1, threads)
    }

    public static let reference = ExecutionOptions(path: .scalar, threads: 1)
}
