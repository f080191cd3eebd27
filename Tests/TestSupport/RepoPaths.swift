import Foundation

/// Locates files of this repository from inside a test, wherever the test binary runs.
public enum RepoPaths {
    /// The repository root: the nearest ancestor of `file` that holds `Package.swift` and
    /// `Fixtures/`. Set `MESH_REPO_ROOT` to override (useful when tests run from a copy).
    public static func root(file: String = #filePath) -> URL {
        if let env = ProcessInfo.processInfo.environment["MESH_REPO_ROOT"] {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
        let fm = FileManager.default
        while dir.path != "/" {
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
                fm.fileExists(atPath: dir.appendingPathComponent("Fixtures").path)
            {
                return dir
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true)
    }

    /// `Fixtures/<relative>` inside the repository.
    public static func fixture(_ relative: String, file: String = #filePath) -> URL {
        root(file: file).appendingPathComponent("Fixtures").appendingPathComponent(relative)
    }

    /// A fresh empty temporary directory, unique to this call.
    public static func temporaryDirectory(prefix: String = "mesh-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
