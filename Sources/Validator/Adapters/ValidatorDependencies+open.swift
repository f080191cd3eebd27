import Foundation
import Karma
import Ledger
import Receipts

extension ValidatorDependencies {
    /// The production set for `config`: the configured storage (`validator.sqlite` and
    /// `ledger.sqlite` in the data directory, created if missing, or one PostgreSQL database), the kernel with the configured models (and the tiny model
    /// when `tinyModel` is set), karma parameters from the configured file (or the built-in v2)
    /// recorded in the ledger, the held models registered there, and the signing keys.
    ///
    /// - Throws: `ValidatorConfig.Problem` for anything a person must fix in the configuration.
    ///
    /// - Parameter executor: use this kernel executor instead of loading `config.modelDirectory`
    ///   (the demo shares one with its simulated nodes).
    public static func open(
        config: ValidatorConfig, executor: KernelShardExecutor? = nil,
        nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
    ) async throws -> ValidatorDependencies {
        for (member, path) in [
            ("modelDirectory", config.modelDirectory), ("circuitDirectory", config.circuitDirectory),
        ] {
            var isDirectory: ObjCBool = false
            if let path,
                !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                    || !isDirectory.boolValue
            {
                throw ValidatorConfig.Problem(
                    "\(member): \(path) is not a directory (create it, or remove \(member) from the config)")
            }
        }
        let identity = try config.identityKey.bytes(what: "identityKey")
        let checkpointSeed = try config.checkpointKey.checkpointSeed(origin: config.logOrigin)
        let validatorKey: SchnorrSigningKey
        do { validatorKey = try SchnorrSigningKey(rawRepresentation: identity) } catch {
            throw ValidatorConfig.Problem("identityKey: \(error)")
        }
        var parameters = KarmaParameters.v2
        if let file = config.karmaParametersFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidatorConfig.Problem("cannot read karma parameters file \(file)")
            }
            do { parameters = try KarmaParameters(json: data) } catch {
                throw ValidatorConfig.Problem("karma parameters \(file): \(error)")
            }
        }
        let (repository, ledgerStore) = try await openStorage(
            config.storage, cluster: config.clusterOrDefault != nil)
        let karma = try await LedgerKarmaBook.open(
            store: ledgerStore, origin: config.logOrigin,
            checkpointSeed32: checkpointSeed, parameters: parameters, heartbeats: repository,
            selfHeartbeatKey: validatorKey, heartbeatToleranceMs: config.heartbeatToleranceMs, nowMs: nowMs)
        var allocations: [(node: XOnlyPublicKey, balance: UInt64, bonded: UInt64)] = []
        for g in config.genesis {
            guard let key = try? XOnlyPublicKey(hex: g.node) else {
                throw ValidatorConfig.Problem("genesis: bad key \(g.node)")
            }
            allocations.append((key, g.balance, g.bonded))
        }
        let pool = ComputePool(threads: config.settlement.computeThreads)
        var executor =
            try
            (executor
            ?? KernelShardExecutor.open(modelDirectory: config.modelDirectory, includeTiny: config.tinyModel))
            .running(on: pool)
        let held = try executor.models.values.map { (m) throws(ValidatorError) in try m.catalogEntry() }
        // What a writer of the log records before it settles: the rules and genesis, the held
        // models. Alone: now. In a cluster: when this process takes the lease (specs/service.md §8.2).
        let takeOver: @Sendable () async throws -> Void = { [allocations] in
            do { try await karma.writeGenesis(allocations) } catch {
                throw ValidatorConfig.Problem("genesis: \(error)")
            }
            do { try await karma.register(models: held) } catch {
                throw ValidatorConfig.Problem("registering the held models in the ledger: \(error)")
            }
        }
        var cluster: ClusterMembership?
        if let settings = config.clusterOrDefault {
            guard let store = ledgerStore as? PostgresLedgerStore else {
                throw ValidatorConfig.Problem("cluster: needs PostgreSQL storage")
            }
            var membership = ClusterMembership(
                settings: settings, store: store, book: karma, takeOver: takeOver)
            do { try await membership.startLeadingIfFree() } catch let problem as ValidatorConfig.Problem {
                throw problem
            } catch {
                throw ValidatorConfig.Problem("cluster: taking the log's lease at start: \(error)")
            }
            cluster = membership
        } else {
            try await takeOver()
        }
        if let circuits = config.circuitDirectory {
            do { executor = try executor.registering(circuitDirectory: circuits) } catch {
                throw ValidatorConfig.Problem("circuitDirectory: \(error)")
            }
        }
        return ValidatorDependencies(
            repository: repository, karma: karma, executor: executor,
            proofs: CircuitProofChecker(registry: executor.circuits, pool: pool),
            validatorKey: validatorKey, cluster: cluster)
    }

    /// The job store (which also journals heartbeats) and the ledger's store for `storage`.
    ///
    /// - Throws: `ValidatorConfig.Problem` naming the directory or the PostgreSQL server
    ///   (`host:port`) when it cannot be opened or reached.
    ///
    /// - Parameter cluster: the ledger's PostgreSQL store refuses writes until this process holds
    ///   the log's lease (specs/service.md §8).
    public static func openStorage(_ storage: ValidatorConfig.Storage, cluster: Bool = false) async throws
        -> (any JobRepository & HeartbeatJournal, any LedgerStore)
    {
        switch storage {
        case .sqlite(let directory):
            let base = URL(fileURLWithPath: directory)
            do {
                try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            } catch {
                throw ValidatorConfig.Problem(
                    "cannot create data directory \(base.path): \(error.localizedDescription)")
            }
            let repository = try SQLiteJobRepository(
                path: base.appendingPathComponent("validator.sqlite").path)
            let ledger: SQLiteLedgerStore
            do {
                ledger = try SQLiteLedgerStore(path: base.appendingPathComponent("ledger.sqlite").path)
            } catch {
                throw ValidatorConfig.Problem("opening the ledger in \(base.path): \(error)")
            }
            return (repository, ledger)
        case .postgres(let url, let pool):
            do {
                let repository = try await PostgresJobRepository.open(
                    link: try await PostgresLink.open(url: url, size: pool))
                let ledger = PostgresLedgerStore(
                    link: try await PostgresLink.open(url: url, size: pool), requiresLease: cluster)
                if cluster { repository.fenceLeaderWrites(with: ledger) }
                return (repository, ledger)
            } catch {
                throw ValidatorConfig.Problem("storage.postgres: \(error)")
            }
        }
    }
}
