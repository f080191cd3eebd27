import Groth16

/// The snarkjs Groth16 readers (verification key, proof, public inputs) on untrusted bytes.
enum Groth16Targets {
    /// `Fixtures/groth16/snarkjs/nullifier-2pub/verification_key.json`, compact.
    static let keyJSON =
        "{\"protocol\":\"groth16\",\"curve\":\"bn128\",\"nPublic\":2,\"vk_alpha_1\":[\"2049119280539048529915300977359"
        + "4534940189261866228447918068658471970481763042\",\"93834853630532902009183471561578365665629679940"
        + "39712273449902621266178545958\",\"1\"],\"vk_beta_2\":[[\"637561435168872520640394826286896279362574404"
        + "3794305715222011528459656738731\",\"42528228787583008591238979814505913535330734131977717686514426"
        + "65752259397132\"],[\"10505242626370262277552901082094356697409835680220590971873171140371331206856"
        + "\",\"21847035105528745403288232691147584728191162732299865338377159692350059136679\"],[\"1\",\"0\"]],\"v"
        + "k_gamma_2\":[[\"10857046999023057135944570762232829481370756359578518086990519993285655852781\",\"11"
        + "559732032986387107991004021392285783925812861821192530917403151452391805634\"],[\"8495653923123431"
        + "417604973247489272438418190587263600148770280649306958101930\",\"408236787586343368133220340314543"
        + "5568316851327593401208105741076214120093531\"],[\"1\",\"0\"]],\"vk_delta_2\":[[\"12686808568378581317224"
        + "104925121889033628972816646626356480649704672023196655\",\"210979584292851502780309456704923526340"
        + "07531665786631967646810917619834010973\"],[\"19384876925887420407971689083016603758048121229799911"
        + "199616856685425110873349\",\"199956521047728922363331721021744321280735152724136594990378623779005"
        + "16950804\"],[\"1\",\"0\"]],\"vk_alphabeta_12\":[[[\"2029413683389138792403550203267699914886160938906632"
        + "433982220835551125967885\",\"210727000475627578171610312229975179815433476283793606359255490084420"
        + "30252106\"],[\"5940354580057074848093997050200682056184807770593307860589430076672439820312\",\"1215"
        + "6638873931618554171829126792193045421052652279363021382169897324752428276\"],[\"789820023636282304"
        + "2373859371574133993780991612861777490112507062703164551277\",\"70742185452375494553132363469274340"
        + "13100842096812539264420499035217050630853\"]],[[\"707747968354600299721171269594600207487751127731"
        + "2570035766170199895071832130\",\"10093483419865920389913245021038182291233451549023025229112148274"
        + "109565435465\"],[\"4595479056700221319381530156280926371456704509942304414423590385166031118820\",\""
        + "19831328484489333784475432780421641293929726139240675179672856274388269393268\"],[\"11934129596455"
        + "521040620786944827826205713621633706285934057045369193958244500\",\"803739505236411073029883700433"
        + "4506829870972346962140206007064471173334027475\"]]],\"IC\":[[\"1806367204953075085802946276332690603"
        + "2839990382122586121488003785381547683675\",\"75960939565371999226625171486343707328277420009744267"
        + "9432081675620145396703\",\"1\"],[\"71162708732434749379068376535975897246924624161208144247102338676"
        + "31691135087\",\"12284176707076287600933198278050912632827627190728732408993791776119276308622\",\"1\""
        + "],[\"13552646951381298033562522601148732177027801482304314705335296685267385922693\",\"192588717061"
        + "99812793961681927580709698268929704093318937369642926515594534653\",\"1\"]]}"

    /// `Fixtures/groth16/snarkjs/nullifier-2pub/public.json`.
    static let publicJSON =
        #"["18079710365248265264140712511525726918944160897140724091373744026242738441496", "20200115028016678906394652898789488643728456706058821710799501960336988467570"]"#

    /// The key and inputs fuzzed proofs are verified against. Built once.
    static let statement: Result<(Groth16VerifyingKey, Groth16PublicInputs), Groth16Error> = Result {
        () throws(Groth16Error) in
        (
            try Groth16VerifyingKey(snarkjsJSON: Array(keyJSON.utf8)),
            try Groth16PublicInputs(snarkjsJSON: Array(publicJSON.utf8))
        )
    }

    /// The input is read as a verification key, a proof and a public-input list. Readers must
    /// refuse with `Groth16Error` and never trap (specs/groth16.md §4); what one accepts must have
    /// its points on their curves and not the identity, and survive a round trip through snarkjs's
    /// JSON; an accepted proof is verified against the nullifier-2pub statement, which must give
    /// a verdict (not an error).
    @Sendable static func snarkjs(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let target = "groth16"
        guard case .success(let (key, inputs)) = statement else {
            throw InvariantViolation(
                target: target, message: "the embedded nullifier-2pub statement does not read")
        }
        var reasons: [String] = []
        var accepted = false
        do {
            let k = try Groth16VerifyingKey(snarkjsJSON: input)
            accepted = true
            try require(k.ic.count == k.publicInputCount + 1, target, "IC count")
            for p in k.ic + [k.alpha] {
                try require(
                    !p.isIdentity && G1.isOnCurve(x: p.x, y: p.y), target, "key G1 point off the curve")
            }
            for q in [k.beta, k.gamma, k.delta] {
                try require(
                    !q.isIdentity && G2.isOnCurve(x: q.x, y: q.y), target, "key G2 point off the twist")
            }
        } catch let e as Groth16Error {
            reasons.append("key: \(e)")
        } catch let e as InvariantViolation { throw e } catch {
            throw InvariantViolation(target: target, message: "\(error)")
        }
        do {
            let x = try Groth16PublicInputs(snarkjsJSON: input)
            accepted = true
            let again = try Groth16PublicInputs(snarkjsJSON: Array(x.snarkjsJSON.utf8))
            try require(again.values == x.values, target, "public inputs change in a round trip")
        } catch let e as Groth16Error {
            reasons.append("public: \(e)")
        } catch let e as InvariantViolation { throw e } catch {
            throw InvariantViolation(target: target, message: "\(error)")
        }
        do {
            let p = try Groth16Proof(snarkjsJSON: input)
            accepted = true
            let again = try Groth16Proof(snarkjsJSON: Array(p.snarkjsJSON.utf8))
            try require(
                again.a == p.a && again.b == p.b && again.c == p.c, target, "proof changes in a round trip")
            _ = try Groth16.verify(key: key, proof: p, inputs: inputs)
        } catch let e as Groth16Error {
            reasons.append("proof: \(e)")
        } catch let e as InvariantViolation { throw e } catch {
            throw InvariantViolation(target: target, message: "\(error)")
        }
        return accepted ? .accepted : .rejected(reason: reasons.joined(separator: "; "))
    }
}
