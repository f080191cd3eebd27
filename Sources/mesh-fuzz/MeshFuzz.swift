import Foundation
import FuzzHarness

#if MESH_FUZZ
    import CLibFuzzer
#endif

/// `mesh-fuzz`: the parsers' fuzz driver (README "Fuzzing", scripts/fuzz.sh).
///
/// Built with `-sanitize=fuzzer,address -DMESH_FUZZ` it hands control to libFuzzer, fuzzing the
/// target named by `MESH_FUZZ_TARGET` (all other arguments are libFuzzer's). Built normally it
/// replays files instead: `mesh-fuzz TARGET PATH...` runs every file (directories recursively)
/// through the target and exits 1 if any breaks an invariant. `mesh-fuzz --list` prints each
/// target's name, libFuzzer `-max_len` and summary, tab-separated.
@main
enum MeshFuzz {
    static func main() {
        let args = CommandLine.arguments
        if args.count == 2, args[1] == "--list" {
            for t in FuzzTargets.all { print("\(t.name)\t\(t.maxLength)\t\(t.summary)") }
            return
        }
        if args.count == 3, args[1] == "--write-seeds" {
            writeSeeds(to: URL(fileURLWithPath: args[2]))
            return
        }
        #if MESH_FUZZ
            fuzz()
        #else
            exit(replay(Array(args.dropFirst())))
        #endif
    }

    /// Writes ``GeneratedSeeds`` under `root/<target>/` (the karma fixtures are read from
    /// `Fixtures/karma` of the working directory), replacing each target's generated files.
    static func writeSeeds(to root: URL) {
        let seeds: [GeneratedSeeds.Seed]
        do {
            let events = try GeneratedSeeds.eventLines(under: URL(fileURLWithPath: "Fixtures/karma"))
            guard !events.isEmpty else {
                fail("no Fixtures/karma/**/events.jsonl here: run from the repository root")
            }
            seeds = try GeneratedSeeds.all(events: events)
        } catch {
            fail("generating seeds: \(error)")
        }
        let fm = FileManager.default
        for target in GeneratedSeeds.targets {
            let dir = root.appendingPathComponent(target)
            if let old = try? fm.contentsOfDirectory(atPath: dir.path) {
                for name in old where name.hasPrefix("valid-") || !name.contains("crashers") {
                    var isDirectory: ObjCBool = false
                    let path = dir.appendingPathComponent(name).path
                    if fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                        try? fm.removeItem(atPath: path)
                    }
                }
            }
            do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                fail("cannot create \(dir.path): \(error)")
            }
        }
        for seed in seeds {
            let file = root.appendingPathComponent(seed.target).appendingPathComponent(seed.name)
            guard fm.createFile(atPath: file.path, contents: Data(seed.bytes)) else {
                fail("cannot write \(file.path)")
            }
        }
        print("wrote \(seeds.count) seeds for \(GeneratedSeeds.targets.joined(separator: ", "))")
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("mesh-fuzz: \(message)\n".utf8))
        exit(2)
    }

    /// Replays files through one target; prints one line per file and returns the exit status.
    static func replay(_ args: [String]) -> Int32 {
        guard args.count >= 2, let target = FuzzTargets.named(args[0]) else {
            fail("usage: mesh-fuzz TARGET PATH... | --list (targets: \(FuzzTargets.all.map(\.name)))")
        }
        var status: Int32 = 0
        for file in args.dropFirst().flatMap(files(under:)) {
            guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
            do {
                switch try target.run(Array(data)) {
                case .accepted: print("accepted \(file)")
                case .rejected(let reason): print("rejected \(file): \(reason.prefix(200))")
                }
            } catch {
                print("FAILED \(file): \(error)")
                status = 1
            }
        }
        return status
    }

    /// `path` if it is a file, else every regular file below it, sorted.
    static func files(under path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            fail("no such file or directory: \(path)")
        }
        guard isDirectory.boolValue else { return [path] }
        guard let e = FileManager.default.enumerator(atPath: path) else { fail("cannot list \(path)") }
        return e.compactMap { $0 as? String }.sorted().map { "\(path)/\($0)" }.filter { file in
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &dir) && !dir.boolValue
        }
    }

    #if MESH_FUZZ
        /// The target named by `MESH_FUZZ_TARGET`, read once (libFuzzer's C callback cannot
        /// capture it).
        static let selected: FuzzTarget = {
            guard let name = ProcessInfo.processInfo.environment["MESH_FUZZ_TARGET"] else {
                fail("set MESH_FUZZ_TARGET to one of \(FuzzTargets.all.map(\.name))")
            }
            guard let target = FuzzTargets.named(name) else {
                fail("unknown target \(name); targets: \(FuzzTargets.all.map(\.name))")
            }
            return target
        }()

        static func fuzz() -> Never {
            _ = selected
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
                    do {
                        _ = try MeshFuzz.selected.run(input)
                    } catch {
                        // An invariant violation is a bug: crash so libFuzzer saves the input.
                        fatalError("\(error)")
                    }
                    return 0
                })
        }
    #endif
}
