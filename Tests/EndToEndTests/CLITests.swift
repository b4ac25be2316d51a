import TroupePlatform
import Foundation
import Subprocess
import Synchronization
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// The `troupe` command line as an operator uses it: help, keys, errors, and a standalone
    /// supervisor with a node agent (`troupe worker -- distributed-pool`) and the
    /// `distributed-pool` client, all on loopback with random free ports.
    ///
    /// Every process a test starts runs in its own process group and is ended (the group
    /// SIGTERMed, then SIGKILLed) when the test is done with it, also when it fails.
    @Suite struct CLI {
        // MARK: Help

        @Test("troupe --help names every command, and each command's --help explains it")
        func help() async throws {
            let top = try await CLIHarness.troupe(["--help"])
            #expect(top.status == .exited(0), "\(top)")
            let commands: [String: (abstract: String, options: [String])] = [
                "supervisor": ("routes work between clients and workers", ["--bind", "--key", "--allow", "--insecure"]),
                "worker": ("Run worker processes of a program", ["--connect", "--server-key", "--key", "--insecure", "--processes", "PROGRAM"]),
                "status": ("hosts, workers and queue", ["--connect", "--server-key", "--key", "--insecure", "--json", "--watch", "--timeout"]),
                "stop": ("Stop the deployment", ["--connect", "--server-key", "--key", "--insecure", "--now", "--timeout"]),
                "keygen": ("CURVE key pair", ["--out", "--force"]),
            ]
            let flattened = top.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for (command, expected) in commands {
                #expect(top.output.contains("  \(command) "), "troupe --help does not list \(command):\n\(top.output)")
                #expect(flattened.contains(expected.abstract), "troupe --help does not explain \(command):\n\(top.output)")

                let own = try await CLIHarness.troupe([command, "--help"])
                #expect(own.status == .exited(0), "troupe \(command) --help: \(own)")
                #expect(own.output.contains("OVERVIEW:") && own.output.contains("USAGE: troupe \(command)"),
                        "troupe \(command) --help:\n\(own.output)")
                for option in expected.options {
                    #expect(own.output.contains(option), "troupe \(command) --help does not mention \(option):\n\(own.output)")
                }
            }
            // The overview walks through a deployment with the commands it names.
            for step in ["troupe keygen", "troupe supervisor", "troupe worker", "troupe status"] {
                #expect(flattened.contains(step), "troupe --help's walk-through does not show \(step)")
            }
            let helpCommand = try await CLIHarness.troupe(["help", "status"])
            #expect(helpCommand.status == .exited(0) && helpCommand.output.contains("USAGE: troupe status"), "\(helpCommand)")
        }

        // MARK: Keys

        @Test("troupe keygen writes a 0600 .key and a .pub, and overwrites them only with --force")
        func keygen() async throws {
            let scratch = try CLIHarness.Scratch()
            defer { scratch.remove() }
            let prefix = scratch.path + "/node"

            let made = try await CLIHarness.troupe(["keygen", "--out", prefix])
            #expect(made.status == .exited(0), "\(made)")
            let secret = try #require(CLIHarness.read(prefix + ".key"))
            let publicKey = try #require(CLIHarness.read(prefix + ".pub"))
            #expect(CLIHarness.mode(prefix + ".key") == 0o600, "the secret key's mode is \(String(CLIHarness.mode(prefix + ".key") ?? 0, radix: 8))")
            #expect(CLIHarness.mode(prefix + ".pub") == 0o644, "the public key's mode is \(String(CLIHarness.mode(prefix + ".pub") ?? 0, radix: 8))")
            for key in [secret, publicKey] {
                let text = key.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(text.utf8.count == 40 && text.allSatisfy(CLIHarness.isZ85), "not a Z85 CURVE key: \(key.debugDescription)")
            }
            #expect(secret != publicKey)
            #expect(made.output.contains(publicKey.trimmingCharacters(in: .whitespacesAndNewlines)),
                    "keygen's message does not show the public key:\n\(made.output)")

            // Again without --force: refused, nothing changed.
            let refused = try await CLIHarness.troupe(["keygen", "--out", prefix])
            #expect(refused.status != .exited(0), "\(refused)")
            #expect(refused.error.contains("--force") && refused.error.contains(prefix), "\(refused)")
            #expect(CLIHarness.lines(refused.error).count == 1, "not a one-line error:\n\(refused.error)")
            #expect(CLIHarness.read(prefix + ".key") == secret && CLIHarness.read(prefix + ".pub") == publicKey,
                    "a refused keygen changed the key files")

            // With --force: a new pair, the secret still 0600 even if its mode had been widened.
            chmod(prefix + ".key", 0o644)
            let forced = try await CLIHarness.troupe(["keygen", "--out", prefix, "--force"])
            #expect(forced.status == .exited(0), "\(forced)")
            #expect(CLIHarness.read(prefix + ".key") != secret && CLIHarness.read(prefix + ".pub") != publicKey)
            #expect(CLIHarness.mode(prefix + ".key") == 0o600)

            // Into a folder that does not exist: it is made, mode 0700, and keygen says so.
            let fresh = try await CLIHarness.troupe(["keygen", "--out", scratch.path + "/keys/sub/node"])
            #expect(fresh.status == .exited(0), "\(fresh)")
            #expect(CLIHarness.mode(scratch.path + "/keys") == 0o700 && CLIHarness.mode(scratch.path + "/keys/sub") == 0o700,
                    "folder modes \(String(CLIHarness.mode(scratch.path + "/keys") ?? 0, radix: 8))")
            #expect(CLIHarness.read(scratch.path + "/keys/sub/node.key") != nil)
            #expect(CLIHarness.lines(fresh.output).count == 1 && fresh.output.contains("made the folder") && fresh.output.contains("0700"),
                    "\(fresh)")
            // A path that cannot be a folder: a one-line error.
            let blocked = try await CLIHarness.troupe(["keygen", "--out", prefix + ".pub/node"])
            #expect(blocked.status == .exited(1) && blocked.error.hasPrefix("troupe: ") && CLIHarness.lines(blocked.error).count == 1,
                    "\(blocked)")
        }

        @Test("troupe keygen never writes through a planted symbolic link, with or without --force")
        func keygenOverASymlink() async throws {
            let scratch = try CLIHarness.Scratch()
            defer { scratch.remove() }
            let victim = scratch.path + "/victim", prefix = scratch.path + "/node"
            try CLIHarness.write("precious\n", to: victim)
            for (link, force) in [(".key", true), (".pub", true), (".key", false)] {
                unlink(prefix + ".key")
                unlink(prefix + ".pub")
                symlink(victim, prefix + link)
                let run = try await CLIHarness.troupe(["keygen", "--out", prefix] + (force ? ["--force"] : []))
                #expect(run.status == .exited(1), "keygen over a \(link) symlink (force \(force)): \(run)")
                #expect(run.error.contains("symbolic link") && CLIHarness.lines(run.error).count == 1, "\(run)")
                #expect(CLIHarness.read(victim) == "precious\n", "keygen wrote through the \(link) symlink")
                #expect(CLIHarness.mode(victim) == 0o644, "keygen changed the mode of the link's target")
            }
        }

        // MARK: Errors

        @Test("troupe status to a supervisor that is not there: a one-line error and a non-zero exit, quickly")
        func unreachableSupervisor() async throws {
            let endpoint = "tcp://127.0.0.1:\(try CLIHarness.freePort())"

            let quick = try await CLIHarness.troupe(["status", "--connect", endpoint, "--insecure", "--timeout", "1"])
            #expect(quick.status == .exited(1), "\(quick)")
            #expect(quick.elapsed < .seconds(4), "took \(quick.elapsed)")
            #expect(quick.output == "")
            let quickLines = CLIHarness.lines(quick.error)
            #expect(quickLines.count == 1 && quickLines[0].hasPrefix("troupe: ") && quickLines[0].contains(endpoint), "\(quick)")

            // With the default timeout, and with keys (the CURVE handshake has no one to answer).
            let scratch = try CLIHarness.Scratch()
            defer { scratch.remove() }
            try await CLIHarness.makeKeys(["supervisor", "client"], in: scratch.path)
            for security in [["--insecure"], ["--server-key", scratch.path + "/supervisor.pub", "--key", scratch.path + "/client.key"]] {
                let run = try await CLIHarness.troupe(["status", "--connect", endpoint] + security)
                #expect(run.status == .exited(1), "\(run)")
                #expect(run.elapsed < .seconds(8), "took \(run.elapsed)")
                #expect(run.output == "")
                let lines = CLIHarness.lines(run.error)
                #expect(lines.last?.hasPrefix("troupe: ") == true && lines.last?.contains(endpoint) == true, "\(run)")
                #expect(lines.count == 1, "not a one-line error:\n\(run.error)")
            }
        }

        @Test("over TCP without keys or --insecure: a usage error that says how to make keys")
        func missingKeys() async throws {
            let endpoint = "tcp://127.0.0.1:\(try CLIHarness.freePort())"
            let scratch = try CLIHarness.Scratch()
            defer { scratch.remove() }
            try await CLIHarness.makeKeys(["supervisor", "client"], in: scratch.path)
            let cases: [[String]] = [
                ["status", "--connect", endpoint],
                ["stop", "--connect", endpoint],
                ["worker", "--connect", endpoint, "--", CLIHarness.path("distributed-pool")],
                ["supervisor", "--bind", endpoint],
                // Half a key pair is no key pair.
                ["status", "--connect", endpoint, "--key", scratch.path + "/client.key"],
                ["status", "--connect", endpoint, "--server-key", scratch.path + "/supervisor.pub"],
            ]
            for arguments in cases {
                let run = try await CLIHarness.troupe(arguments, timeout: .seconds(10))
                #expect(run.status == .exited(64), "troupe \(arguments.joined(separator: " ")): \(run)")
                #expect(run.error.contains("troupe keygen") && run.error.contains("--insecure"),
                        "troupe \(arguments.joined(separator: " ")):\n\(run.error)")
                #expect(run.elapsed < .seconds(5), "troupe \(arguments.joined(separator: " ")) took \(run.elapsed)")
            }
            // A supervisor key without anyone allowed, and keys mixed with --insecure.
            for arguments in [["supervisor", "--bind", endpoint, "--key", scratch.path + "/supervisor.key"],
                              ["status", "--connect", endpoint, "--insecure", "--key", scratch.path + "/client.key"]] {
                let run = try await CLIHarness.troupe(arguments, timeout: .seconds(10))
                #expect(run.status == .exited(64), "troupe \(arguments.joined(separator: " ")): \(run)")
            }
            // The example client says the same.
            let client = try await CLIHarness.run(CLIHarness.path("distributed-pool"), ["--connect", endpoint], timeout: .seconds(10))
            #expect(client.status == .exited(64), "\(client)")
            #expect(client.output.contains("--server-key") && client.output.contains("--insecure"), "\(client)")
            // A key file that is not there is named.
            let missing = try await CLIHarness.troupe(["status", "--connect", endpoint, "--server-key", scratch.path + "/nothing.pub",
                                                        "--key", scratch.path + "/client.key"], timeout: .seconds(10))
            #expect(missing.status != .exited(0) && missing.error.contains("nothing.pub"), "\(missing)")
        }

        // MARK: ipc

        @Test("an ipc supervisor needs --insecure or keys; its socket is 0600 whatever the umask, out of another user's reach, and removed at exit")
        func ipcSupervisor() async throws {
            let scratch = try CLIHarness.Scratch()
            defer { scratch.remove() }
            // Another user may pass through the folder: only the socket's own mode protects it.
            chmod(scratch.path, 0o755)
            let socket = scratch.path + "/supervisor.sock", endpoint = "ipc://" + socket
            let logs = scratch.path + "/logs"
            mkdir(logs, 0o700)

            let unchosen = try await CLIHarness.troupe(["supervisor", "--bind", endpoint], timeout: .seconds(10))
            #expect(unchosen.status == .exited(64), "\(unchosen)")
            #expect(unchosen.error.contains("--insecure") && unchosen.error.contains("troupe keygen"), "\(unchosen)")

            let other = try await CLIHarness.otherUser()
            let (_, ended) = try await CLIHarness.background(
                "/bin/sh", ["-c", "umask 000; exec \"$0\" supervisor --bind \"$1\" --insecure", CLIHarness.path("troupe"), endpoint],
                logs: logs, name: "supervisor", tmpdir: "/tmp", grace: .seconds(10)
            ) { pid in
                #expect(await eventually { CLIHarness.mode(socket) != nil || !ProcessTable.isAlive(pid) })
                #expect(CLIHarness.mode(socket) == 0o600, "the socket's mode is \(String(CLIHarness.mode(socket) ?? 0, radix: 8)) under umask 000")
                let mine = try await CLIHarness.troupe(["status", "--connect", endpoint, "--insecure", "--timeout", "5"])
                #expect(mine.status == .exited(0), "\(mine)")
                if let other {
                    for command in [["status", "--timeout", "2"], ["stop", "--timeout", "2"]] {
                        let theirs = try await CLIHarness.run(CLIHarness.path("troupe"), [command[0], "--connect", endpoint, "--insecure"] + command.dropFirst(),
                                                             timeout: .seconds(20), tmpdir: "/tmp", user: other)
                        #expect(theirs.status == .exited(1), "troupe \(command[0]) as \(other.name): \(theirs)")
                    }
                    #expect(ProcessTable.isAlive(pid), "another user stopped the supervisor")
                } else {
                    print("ipcSupervisor: not root, so the check by another Unix user is skipped")
                }
                kill(pid, SIGTERM)
            }
            #expect(ended.status == .exited(0), "\(ended)")
            #expect(CLIHarness.mode(socket) == nil, "the supervisor left its socket file \(socket)")
        }

        // MARK: Habits

        @Test("troupe --version names the release and the protocol versions")
        func version() async throws {
            let run = try await CLIHarness.troupe(["--version"])
            #expect(run.status == .exited(0), "\(run)")
            let line = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(line.hasPrefix("troupe ") && line.contains("protocols 1/ENVELOPE 1, 2/SUPERVISION 1"), "\(run)")
            #expect(line.split(separator: " ")[1].split(separator: ".").count == 3, "not a version number: \(line)")
        }

        @Test("troupe --generate-completion-script writes a completion script for bash, zsh and fish")
        func completions() async throws {
            for shell in ["bash", "zsh", "fish"] {
                let run = try await CLIHarness.troupe(["--generate-completion-script", shell])
                #expect(run.status == .exited(0), "\(shell): \(run)")
                for word in ["supervisor", "worker", "status", "stop", "keygen"] {
                    #expect(run.output.contains(word), "the \(shell) script does not complete \(word)")
                }
            }
            // The overview says how to install them.
            let help = try await CLIHarness.troupe(["--help"])
            #expect(help.output.contains("--generate-completion-script"), "\(help.output)")
        }

        @Test("troupe status and stop read TROUPE_CONNECT, TROUPE_SERVER_KEY and TROUPE_KEY; flags win")
        func environmentVariables() async throws {
            _ = try await CLIHarness.withDeployment(stopAtEnd: false) { deployment in
                let keys = deployment.keys
                let variables: [Subprocess.Environment.Key: String?] = [
                    "TROUPE_CONNECT": deployment.endpoint, "TROUPE_SERVER_KEY": keys + "/supervisor.pub", "TROUPE_KEY": keys + "/client.key",
                ]
                let status = try await CLIHarness.run(CLIHarness.path("troupe"), ["status", "--json"], tmpdir: deployment.tmpdir,
                                                      environment: variables)
                #expect(status.status == .exited(0) && status.output.contains("\"endpoint\":\"\(deployment.endpoint)\""), "\(status)")
                // A flag wins over its variable.
                var wrong = variables
                wrong["TROUPE_CONNECT"] = "tcp://127.0.0.1:\(try CLIHarness.freePort())"
                let flagged = try await CLIHarness.run(CLIHarness.path("troupe"), ["status", "--connect", deployment.endpoint],
                                                       tmpdir: deployment.tmpdir, environment: wrong)
                #expect(flagged.status == .exited(0), "\(flagged)")
                // Without flag or variable: the usage error says both.
                let missing = try await CLIHarness.troupe(["status"])
                #expect(missing.status == .exited(64) && missing.error.contains("TROUPE_CONNECT"), "\(missing)")
                let stop = try await CLIHarness.run(CLIHarness.path("troupe"), ["stop", "--timeout", "10"], tmpdir: deployment.tmpdir,
                                                    environment: variables)
                #expect(stop.status == .exited(0), "\(stop)")
            }
        }

        @Test("troupe worker says within seconds that it cannot reach its supervisor, keeps trying, and says when it does")
        func workerWithoutSupervisor() async throws {
            let scratch = try CLIHarness.Scratch()
            defer { scratch.remove() }
            let logs = scratch.path + "/logs", tmpdir = scratch.path + "/tmp"
            for folder in [logs, tmpdir] { mkdir(folder, 0o700) }
            let port = try CLIHarness.freePort(), endpoint = "tcp://127.0.0.1:\(port)"
            let errors = logs + "/agent.err"
            _ = try await CLIHarness.background(
                CLIHarness.path("troupe"), ["worker", "--connect", endpoint, "--insecure", "--", CLIHarness.path("distributed-pool")],
                logs: logs, name: "agent", tmpdir: tmpdir, grace: .seconds(10)
            ) { agent in
                let said = await eventually(within: .seconds(15)) { CLIHarness.read(errors)?.contains("cannot reach the supervisor") == true }
                #expect(said, "troupe worker said nothing of the missing supervisor:\n\(CLIHarness.read(errors) ?? "")")
                #expect(ProcessTable.isAlive(agent), "troupe worker gave up instead of retrying")
                #expect(CLIHarness.lines(CLIHarness.read(errors) ?? "").filter { $0.contains("cannot reach") }.count == 1,
                        "said more than once:\n\(CLIHarness.read(errors) ?? "")")
                // The supervisor comes: the agent says so, and its worker joins.
                _ = try await CLIHarness.background(
                    CLIHarness.path("troupe"), ["supervisor", "--bind", endpoint, "--insecure"], logs: logs, name: "supervisor",
                    tmpdir: tmpdir, grace: .seconds(10)
                ) { supervisor in
                    let reached = await eventually(within: .seconds(30)) { CLIHarness.read(errors)?.contains("reached the supervisor") == true }
                    #expect(reached, "\(CLIHarness.read(errors) ?? "")")
                    kill(supervisor, SIGTERM)
                }
            }
        }

        @Test("troupe worker's probe of the program has a timeout, and says how the program ended")
        func workerProbe() async throws {
            let hanging = try await CLIHarness.troupe(["worker", "--connect", "tcp://127.0.0.1:1", "--insecure", "--probe-timeout", "2",
                                                       "--", "/bin/sleep", "60"], timeout: .seconds(30))
            #expect(hanging.status == .exited(1), "\(hanging)")
            #expect(hanging.error.contains("did not answer within 2") && CLIHarness.lines(hanging.error).count == 1, "\(hanging)")
            let killed = try await CLIHarness.troupe(["worker", "--connect", "tcp://127.0.0.1:1", "--insecure",
                                                      "--", "/bin/sh", "-c", "kill -TERM $$"], timeout: .seconds(30))
            #expect(killed.status == .exited(1), "\(killed)")
            #expect(killed.error.contains("was killed by signal 15 (SIGTERM) when asked"), "\(killed)")
            let exited = try await CLIHarness.troupe(["worker", "--connect", "tcp://127.0.0.1:1", "--insecure",
                                                      "--", "/bin/sh", "-c", "exit 3"], timeout: .seconds(30))
            #expect(exited.error.contains("exited with code 3 when asked"), "\(exited)")
        }

        @Test("troupe supervisor --help names both transports, and the allow-list advice is one")
        func supervisorHelp() async throws {
            let help = try await CLIHarness.troupe(["supervisor", "--help"])
            let flattened = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(flattened.contains("ipc://"), "\(help.output)")
            #expect(flattened.contains("tcp://"), "\(help.output)")
            let advice = "A folder of .pub files, one per node"
            for option in ["--allow ", "--allow-workers", "--allow-clients", "--allow-stop"] {
                #expect(flattened.contains(option), "\(option) is missing:\n\(help.output)")
            }
            #expect(flattened.components(separatedBy: advice).count - 1 == 4, "the advice is not the same for every allow option:\n\(help.output)")
        }

        // MARK: A deployment

        @Test("supervisor, worker and client on loopback with CURVE keys: the client's tasks run; status shows them")
        func roundTrip() async throws {
            let host = CLIHarness.hostName
            _ = try await CLIHarness.withDeployment { deployment in
                let client = try await deployment.client(tasks: 20)
                #expect(client.status == .exited(0), "\(client)")
                let lines = CLIHarness.lines(client.output)
                #expect(lines.first == "\(host): 20 tasks", "the client's output:\n\(client.output)")
                // 18 and 19 both take 20 steps, the most below 21.
                #expect(lines.contains { $0.hasPrefix("longest: 1") && $0.contains(" takes 20 steps (computed on \(host), pid ") },
                        "the client's output:\n\(client.output)")
                #expect(lines.last == "have done.")
                #expect(!client.output.contains("failed"))

                // The table: the host and its workers.
                let table = try await deployment.troupe(["status"])
                #expect(table.status == .exited(0), "\(table)")
                #expect(table.output.contains("hosts: \(host) (2 workers)"), "\(table.output)")
                #expect(table.output.contains("CURVE"), "\(table.output)")
                let rows = CLIHarness.lines(table.output).filter { $0.hasPrefix(host + " ") && $0.contains("distributed_pool.Collatz") }
                #expect(rows.count == 2, "\(table.output)")

                // JSON: valid, with the workers, and the work they did.
                let json = try await deployment.troupe(["status", "--json"])
                #expect(json.status == .exited(0), "\(json)")
                let status = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any],
                                          "not a JSON object:\n\(json.output)")
                #expect(status["endpoint"] as? String == deployment.endpoint)
                #expect(status["phase"] as? String == "running")
                #expect(status["secure"] as? Bool == true)
                #expect(status["completed"] as? Int == 20, "\(json.output)")
                #expect(status["unauthorized"] as? Int == 0)
                let workers = try #require(status["workers"] as? [[String: Any]], "\(json.output)")
                #expect(workers.count == 2)
                let pids = Set(deployment.workerPIDs.map(Int.init))
                for worker in workers {
                    #expect(worker["host"] as? String == host)
                    #expect(worker["services"] as? [String] == ["distributed_pool.Collatz"])
                    #expect(["idle", "busy"].contains(worker["state"] as? String ?? ""))
                    #expect(worker["address"] as? String == "127.0.0.1")
                    #expect(pids.contains(worker["pid"] as? Int ?? -1), "worker pid \(worker["pid"] ?? "?") is not a child of the node agent \(pids)")
                }
                #expect(workers.compactMap { $0["tasksDone"] as? Int }.reduce(0, +) == 20, "\(json.output)")
            }
        }

        @Test("roles: a client key cannot serve, a worker key cannot submit, only a key allowed to stop stops")
        func roles() async throws {
            _ = try await CLIHarness.withDeployment(roles: true) { deployment in
                let keys = deployment.keys
                let client = try await deployment.client(tasks: 5)
                #expect(client.status == .exited(0) && client.output.contains("have done."), "\(client)")

                // A node agent with the client's key: refused as a worker, says so, gives up.
                let agent = try await CLIHarness.run(
                    CLIHarness.path("troupe"),
                    ["worker", "--connect", deployment.endpoint] + deployment.security("client") + ["--", CLIHarness.path("distributed-pool")],
                    timeout: .seconds(40), tmpdir: deployment.tmpdir)
                #expect(agent.status == .exited(1), "\(agent)")
                #expect(agent.error.contains("may not serve") && agent.error.contains("--allow-workers"), "\(agent)")
                let status = try #require(try await deployment.statusJSON())
                #expect((status["workers"] as? [Any])?.count == 2, "a client key registered as a worker: \(status)")

                // The worker's key cannot submit work.
                let submitter = try await CLIHarness.run(
                    CLIHarness.path("distributed-pool"),
                    ["--connect", deployment.endpoint, "--server-key", keys + "/supervisor.pub", "--key", keys + "/worker.key", "--tasks", "3"],
                    timeout: .seconds(30), tmpdir: deployment.tmpdir)
                #expect(submitter.output.contains("failed (unauthorized): 3 tasks"), "\(submitter)")

                // Only the admin key stops the deployment.
                let refused = try await deployment.troupe(["stop", "--timeout", "5"], as: "client")
                #expect(refused.status == .exited(1) && refused.error.contains("may not stop"), "\(refused)")
                #expect((try await deployment.statusJSON())?["phase"] as? String == "running")
            }
        }

        @Test("troupe status: the text and --json agree; refusals are attempts and keys; clients counts those with work, not watchers")
        func statusCounters() async throws {
            _ = try await CLIHarness.withDeployment { deployment in
                let keys = deployment.keys
                let client = try await deployment.client(tasks: 10)
                #expect(client.status == .exited(0), "\(client)")
                _ = try await CLIHarness.troupe(["status", "--connect", deployment.endpoint, "--timeout", "2",
                                                 "--server-key", keys + "/supervisor.pub", "--key", keys + "/stranger.key"])
                // Watching does not make a client: many status queries, and the departed
                // client is soon forgotten.
                for _ in 0..<4 { _ = try await deployment.statusJSON() }
                let forgotten = await eventually { (try? await deployment.statusJSON())?["clients"] as? Int == 0 }
                let lastCount = try await deployment.statusJSON()?["clients"]
                #expect(forgotten, "clients: \(String(describing: lastCount))")

                let json = try #require(try await deployment.statusJSON())
                let text = try await deployment.troupe(["status"])
                #expect(text.status == .exited(0), "\(text)")
                let header = try #require(CLIHarness.lines(text.output).first)
                func number(after label: String) -> Int? {
                    guard let range = header.range(of: "  " + label + " ") else { return nil }
                    return Int(header[range.upperBound...].prefix { $0.isNumber })
                }
                let queued = (json["queued"] as? [String: Int] ?? [:]).values.reduce(0, +)
                #expect(number(after: "queued") == queued, "\(header)")
                #expect(number(after: "running") == json["running"] as? Int, "\(header)")
                #expect(number(after: "completed") == json["completed"] as? Int && json["completed"] as? Int == 10, "\(header)")
                #expect(number(after: "clients") == json["clients"] as? Int, "\(header)")
                #expect(number(after: "workers lost") == json["workersLost"] as? Int, "\(header)")
                #expect(number(after: "refused") == json["unauthorized"] as? Int && (json["unauthorized"] as? Int ?? 0) >= 1, "\(header)")
                #expect(header.contains("(\(json["refusedKeys"] as? Int ?? -1) key") && json["refusedKeys"] as? Int == 1, "\(header)")
                #expect(header.contains("phase \(json["phase"] as? String ?? "?")"), "\(header)")
            }
        }

        @Test("a client with an unknown key, or none, gets nothing; the supervisor logs and counts the refusal")
        func refusedClients() async throws {
            _ = try await CLIHarness.withDeployment { deployment in
                let keys = deployment.keys
                let attempts: [(String, [String])] = [
                    ("an unknown key", ["--server-key", keys + "/supervisor.pub", "--key", keys + "/stranger.key"]),
                    ("plaintext", ["--insecure"]),
                    ("the wrong supervisor key", ["--server-key", keys + "/stranger.pub", "--key", keys + "/client.key"]),
                ]
                for (what, security) in attempts {
                    let run = try await CLIHarness.troupe(["status", "--connect", deployment.endpoint, "--timeout", "2"] + security)
                    #expect(run.status == .exited(1), "status with \(what): \(run)")
                    #expect(run.output == "", "status with \(what) printed a status:\n\(run.output)")
                    #expect(run.error.contains("did not answer"), "status with \(what): \(run)")
                }
                // The example client with an unknown key cannot start either.
                let stranger = try await CLIHarness.run(
                    CLIHarness.path("distributed-pool"),
                    ["--connect", deployment.endpoint, "--server-key", keys + "/supervisor.pub", "--key", keys + "/stranger.key", "--tasks", "3"],
                    timeout: .seconds(30))
                #expect(stranger.status != .exited(0), "\(stranger)")
                #expect(!stranger.output.contains("tasks"), "\(stranger)")
                guard case .exited = stranger.status else {
                    Issue.record("distributed-pool ended with \(stranger.status):\n\(stranger.error)")
                    return
                }

                let status = try await deployment.statusJSON()
                let refused = status?["unauthorized"] as? Int ?? 0
                #expect(refused >= 2, "unauthorized: \(refused) after two connections with an unknown key")
                let log = deployment.supervisorLog()
                let strangerKey = try #require(CLIHarness.read(keys + "/stranger.pub")).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(log.contains("refused a connection") && log.contains(strangerKey),
                        "the supervisor's log does not name the refused key:\n\(log)")
                // Refused attempts, and the distinct refused keys: the stranger's.
                #expect(status?["refusedKeys"] as? Int ?? 0 >= 1, "\(status ?? [:])")
                // troupe status only watches: it is not a client.
                #expect(status?["clients"] as? Int == 0, "\(status ?? [:])")
                #expect(log.contains("troupe.mechanism=NULL"), "no log line for the plaintext attempt")
            }
        }

        @Test("garbage bytes on the supervisor's port do not disturb it; malformed messages are counted")
        func garbage() async throws {
            // CURVE: the handshake fails; nothing reaches the supervisor's loop.
            _ = try await CLIHarness.withDeployment { deployment in
                var generator = SystemRandomNumberGenerator()
                for size in [1, 64, 4096, 100_000] {
                    let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    try CLIHarness.sendRaw(bytes, to: deployment.port)
                }
                // A ZMTP greeting for the wrong mechanism, then junk.
                try CLIHarness.sendRaw(CLIHarness.zmtpGreeting(mechanism: "NULL") + Array(repeating: 0xEE, count: 300), to: deployment.port)
                let status = try #require(try await deployment.statusJSON(), "the supervisor stopped answering")
                #expect((status["workers"] as? [Any])?.count == 2, "the workers were disturbed: \(status)")
                let client = try await deployment.client(tasks: 10)
                #expect(client.status == .exited(0) && client.output.contains("have done."), "\(client)")
            }
            // Insecure: a peer that speaks ZMTP and sends malformed Troupe messages is rejected
            // message by message, and counted.
            _ = try await CLIHarness.withDeployment(secure: false) { deployment in
                let signature2: [UInt8] = [0x54, 0x52, 0x53, 0x01], signature1: [UInt8] = [0x54, 0x52, 0x50, 0x01]
                let messages: [[[UInt8]]] = [
                    [[0xDE, 0xAD, 0xBE, 0xEF]],                     // one frame, no signature
                    [[0x01, 0x02], [0x03]],                           // a wrong signature
                    [signature2, [0xC1], []],                         // Protocol 2: a header that is not MessagePack
                    [signature2, [0x93, 0xFF, 0x01, 0x02]],           // Protocol 2: two frames
                    [signature1, [0xC1, 0xC1, 0xC1]],                 // Protocol 1: a body that is not MessagePack
                    [signature2, Array(repeating: 0x91, count: 5000), [0x00]], // deeply nested arrays
                ]
                try CLIHarness.sendZMTP(messages, to: deployment.port)
                let answered = await eventually(within: .seconds(10)) {
                    guard let status = try? await deployment.statusJSON(), let rejected = status["rejected"] as? [String: Int] else { return false }
                    return rejected.values.reduce(0, +) >= messages.count
                }
                let status = try #require(try await deployment.statusJSON(), "the supervisor stopped answering")
                #expect(answered, "the malformed messages were not all counted: \(status["rejected"] ?? "none")")
                #expect((status["workers"] as? [Any])?.count == 2)
                let client = try await deployment.client(tasks: 10)
                #expect(client.status == .exited(0) && client.output.contains("have done."), "\(client)")
            }
        }

        @Test("troupe stop: the supervisor and the node agent exit with 0 and leave no process behind")
        func stop() async throws {
            let (workers, end) = try await CLIHarness.withDeployment(stopAtEnd: false) { deployment -> [Int32] in
                let client = try await deployment.client(tasks: 5)
                #expect(client.status == .exited(0), "\(client)")
                let stop = try await deployment.troupe(["stop"], timeout: .seconds(30))
                #expect(stop.status == .exited(0), "\(stop)")
                #expect(stop.output.contains("stopped \(deployment.endpoint)"), "\(stop)")
                #expect(stop.elapsed < .seconds(10), "troupe stop took \(stop.elapsed)")
                return deployment.workerPIDs
            }
            #expect(end.supervisor.status == .exited(0), "supervisor: \(end.supervisor)")
            #expect(end.agent.status == .exited(0), "node agent: \(end.agent)")
            #expect(!end.supervisor.forced && !end.agent.forced, "the test had to end them: supervisor \(end.supervisor), agent \(end.agent)")
            #expect(workers.count == 2)
            let gone = await eventually(within: .seconds(10)) { workers.allSatisfy { !ProcessTable.isAlive($0) } }
            #expect(gone, "worker processes left: \(workers.filter(ProcessTable.isAlive))")
            #expect(CLIHarness.processes(running: CLIHarness.path("distributed-pool")).isEmpty,
                    "processes running distributed-pool are left: \(CLIHarness.processes(running: CLIHarness.path("distributed-pool")))")
            #expect(end.supervisor.output.contains("troupe supervisor stopped"), "\(end.supervisor)")
            #expect(end.agent.error.contains("left: the supervisor stopped the deployment"), "\(end.agent)")
        }
    }
}

// MARK: - Harness

/// Running `troupe` and the example client, and a deployment of both, for the CLI tests.
enum CLIHarness {
    /// What a finished command did.
    struct Run: Sendable, CustomStringConvertible {
        var status: TerminationStatus
        var output: String
        var error: String
        var elapsed: Duration
        var timedOut: Bool

        var description: String {
            "\(status)\(timedOut ? " (killed: timed out)" : "") after \(elapsed)\n--- stdout:\n\(output)--- stderr:\n\(error)"
        }
    }

    /// How a background process (supervisor, node agent) ended, and what it printed.
    struct Ended: Sendable, CustomStringConvertible {
        var status: TerminationStatus
        /// Whether the harness had to signal it to end.
        var forced: Bool
        var output: String
        var error: String

        var description: String {
            "\(status)\(forced ? " (ended by the harness)" : "")\n--- stdout:\n\(output)--- stderr:\n\(error)"
        }
    }

    /// How a deployment's two long-running processes ended.
    struct DeploymentEnd: Sendable {
        var supervisor: Ended
        var agent: Ended
    }

    /// A harness failure (a file or socket that could not be made).
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func path(_ name: String) -> String { TestEnvironment.path(ofSibling: name) }

    /// The environment of every process started here: a private TMPDIR, no inherited
    /// Troupe launch variables, the default heartbeat.
    static func environment(tmpdir: String, extra: [Subprocess.Environment.Key: String?] = [:]) -> Subprocess.Environment {
        var variables: [Subprocess.Environment.Key: String?] = [
            "TMPDIR": tmpdir, "XDG_RUNTIME_DIR": nil, "TROUPE_SUPERVISOR": nil, "TROUPE_SERVER_KEY_FILE": nil,
            "TROUPE_KEY_FILE": nil, "TROUPE_AGENT_PID": nil, "TROUPE_HEARTBEAT_MS": nil, "TROUPE_LIVENESS": nil,
            "TROUPE_CONNECT": nil, "TROUPE_SERVER_KEY": nil, "TROUPE_KEY": nil, "TROUPE_GIVE_UP_MS": nil,
            "SWIFT_BACKTRACE": "enable=no",
        ]
        variables.merge(extra) { _, new in new }
        return .inherit.updating(variables)
    }

    static func troupe(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> Run {
        try await run(path("troupe"), arguments, timeout: timeout)
    }

    /// Runs a program to its end (killing it after `timeout`) and collects its output.
    static func run(_ program: String, _ arguments: [String], timeout: Duration = .seconds(30), tmpdir: String = "/tmp",
                    user: OtherUser? = nil, environment extra: [Subprocess.Environment.Key: String?] = [:]) async throws -> Run {
        let start = ContinuousClock.now
        var options = PlatformOptions()
        options.processGroupID = 0
        if let user {
            options.userID = user.uid
            options.groupID = user.gid
            options.supplementaryGroups = []
        }
        let result = try await Subprocess.run(
            .path(.init(program)),
            arguments: .init(arguments),
            environment: environment(tmpdir: tmpdir, extra: extra),
            platformOptions: options,
            input: .none,
            output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20)
        ) { execution -> Bool in
            let pid = execution.processIdentifier.value
            while ProcessTable.isAlive(pid) {
                if ContinuousClock.now - start > timeout {
                    try? execution.send(signal: .kill, toProcessGroup: true)
                    return true
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
        return Run(status: result.terminationStatus, output: result.standardOutput, error: result.standardError,
                   elapsed: ContinuousClock.now - start, timedOut: result.closureResult)
    }

    /// Starts `program` in its own process group with its output in files under `logs`, runs
    /// `body` while it runs, then waits up to `grace` for it to end before ending it
    /// (SIGTERM to its group, then SIGKILL). If `body` throws, it is ended at once.
    static func background<R: Sendable>(
        _ program: String, _ arguments: [String], logs: String, name: String, tmpdir: String, grace: Duration,
        _ body: (Int32) async throws -> R
    ) async throws -> (R, Ended) {
        let outputPath = logs + "/" + name + ".out", errorPath = logs + "/" + name + ".err"
        let outputFD = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errorFD = open(errorPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard outputFD >= 0, errorFD >= 0 else { throw Failure("cannot create log files in \(logs): errno \(errno)") }
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(3))]
        let result = try await Subprocess.run(
            .path(.init(program)),
            arguments: .init(arguments),
            environment: environment(tmpdir: tmpdir),
            platformOptions: options,
            input: .none,
            output: .fileDescriptor(.init(rawValue: outputFD), closeAfterSpawningProcess: true),
            error: .fileDescriptor(.init(rawValue: errorFD), closeAfterSpawningProcess: true)
        ) { execution -> (R, Bool) in
            let pid = execution.processIdentifier.value
            let value = try await body(pid)
            if await eventually(within: grace, { !ProcessTable.isAlive(pid) }) { return (value, false) }
            try? execution.send(signal: .terminate, toProcessGroup: true)
            if await eventually(within: .seconds(3), { !ProcessTable.isAlive(pid) }) { return (value, true) }
            try? execution.send(signal: .kill, toProcessGroup: true)
            return (value, true)
        }
        let (value, forced) = result.closureResult
        return (value, Ended(status: result.terminationStatus, forced: forced,
                             output: read(outputPath) ?? "", error: read(errorPath) ?? ""))
    }

    /// A supervisor on a free loopback port and a node agent of `distributed-pool` processes.
    final class Deployment: Sendable {
        let endpoint: String
        let port: Int
        let keys: String
        let secure: Bool
        let tmpdir: String
        let logs: String
        private let workers = Mutex<[Int32]>([])

        init(port: Int, keys: String, secure: Bool, tmpdir: String, logs: String) {
            self.port = port
            endpoint = "tcp://127.0.0.1:\(port)"
            self.keys = keys
            self.secure = secure
            self.tmpdir = tmpdir
            self.logs = logs
        }

        /// The connection options of `name`'s keys (or --insecure).
        func security(_ name: String) -> [String] {
            secure ? ["--server-key", keys + "/supervisor.pub", "--key", keys + "/\(name).key"] : ["--insecure"]
        }

        /// `troupe COMMAND --connect ENDPOINT` as the allowed client, plus `arguments`.
        func troupe(_ arguments: [String], as name: String = "client", timeout: Duration = .seconds(20)) async throws -> Run {
            try await CLIHarness.run(path("troupe"), [arguments[0], "--connect", endpoint] + security(name) + arguments.dropFirst(),
                                     timeout: timeout, tmpdir: tmpdir)
        }

        /// `troupe status --json`, parsed; nil when it does not answer.
        func statusJSON() async throws -> [String: Any]? {
            let run = try await troupe(["status", "--json", "--timeout", "3"])
            guard run.status == .exited(0) else { return nil }
            return try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        }

        /// Runs the `distributed-pool` client for `tasks` tasks.
        func client(tasks: Int) async throws -> Run {
            try await CLIHarness.run(path("distributed-pool"), ["--connect", endpoint] + security("client") + ["--tasks", "\(tasks)"],
                                     timeout: .seconds(40), tmpdir: tmpdir)
        }

        func supervisorLog() -> String { (read(logs + "/supervisor.err") ?? "") + (read(logs + "/supervisor.out") ?? "") }

        /// The node agent's worker processes, as seen once they had joined.
        var workerPIDs: [Int32] { workers.withLock { $0 } }
        func setWorkers(_ pids: [Int32]) { workers.withLock { $0 = pids } }
    }

    /// Runs `body` against a fresh deployment: keys (supervisor, worker, client allowed;
    /// stranger not), a supervisor, a node agent with `processes` workers, all joined. Then
    /// stops it with `troupe stop` (unless `stopAtEnd` is false) and ends whatever is left.
    /// With `roles`, the allow-lists give each key one role: `worker` serves
    /// (`--allow-workers`), `client` submits (`--allow-clients`), `admin` stops
    /// (`--allow-stop`); otherwise `worker` and `client` may do everything (`--allow`).
    static func withDeployment<R: Sendable>(
        secure: Bool = true, roles: Bool = false, processes: Int = 2, stopAtEnd: Bool = true, _ body: (Deployment) async throws -> R
    ) async throws -> (R, DeploymentEnd) {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let keys = scratch.path + "/keys", logs = scratch.path + "/logs", tmpdir = scratch.path + "/tmp"
        for folder in [keys, keys + "/allow", keys + "/workers", keys + "/clients", keys + "/admins", logs, tmpdir] { mkdir(folder, 0o700) }
        try await makeKeys(["supervisor", "worker", "client", "stranger", "admin"], in: keys)
        for name in ["worker", "client"] {
            try write(try #require(read(keys + "/\(name).pub")), to: keys + "/allow/\(name).pub")
        }
        for (name, folder) in [("worker", "workers"), ("client", "clients"), ("admin", "admins")] {
            try write(try #require(read(keys + "/\(name).pub")), to: keys + "/\(folder)/\(name).pub")
        }
        let deployment = Deployment(port: try freePort(), keys: keys, secure: secure, tmpdir: tmpdir, logs: logs)
        let allowed = roles
            ? ["--allow-workers", keys + "/workers", "--allow-clients", keys + "/clients", "--allow-stop", keys + "/admins"]
            : ["--allow", keys + "/allow"]
        let supervisorArguments = ["supervisor", "--bind", deployment.endpoint]
            + (secure ? ["--key", keys + "/supervisor.key"] + allowed : ["--insecure"])
        let agentArguments = ["worker", "--connect", deployment.endpoint] + deployment.security("worker")
            + ["--processes", "\(processes)", "--", path("distributed-pool")]

        let ((value, agent), supervisor) = try await background(
            path("troupe"), supervisorArguments, logs: logs, name: "supervisor", tmpdir: tmpdir, grace: .seconds(10)
        ) { supervisorPID -> (R, Ended) in
            let listening = await eventually(within: .seconds(15)) {
                deployment.supervisorLog().contains("supervisor listening") || !ProcessTable.isAlive(supervisorPID)
            }
            try #require(listening && ProcessTable.isAlive(supervisorPID), "the supervisor did not start:\n\(deployment.supervisorLog())")
            return try await background(
                path("troupe"), agentArguments, logs: logs, name: "agent", tmpdir: tmpdir, grace: .seconds(10)
            ) { agentPID -> R in
                let joined = await eventually(within: .seconds(30)) {
                    guard let status = try? await deployment.statusJSON() else { return false }
                    return (status["workers"] as? [Any])?.count == processes
                }
                try #require(joined, "the workers did not join:\n\(deployment.supervisorLog())\n\(read(logs + "/agent.err") ?? "")")
                deployment.setWorkers(ProcessTable.children(of: agentPID))
                let value = try await body(deployment)
                if stopAtEnd { _ = try? await deployment.troupe(["stop", "--timeout", "10"], as: roles ? "admin" : "client", timeout: .seconds(15)) }
                return value
            }
        }
        return (value, DeploymentEnd(supervisor: supervisor, agent: agent))
    }

    // MARK: Another Unix user

    /// A second Unix user, for checks of what another user can reach.
    struct OtherUser: Sendable {
        var name: String
        var uid: uid_t
        var gid: gid_t
    }

    /// The user `troupe-test-other`, created with `useradd` if needed; nil when this process
    /// is not root (the caller then skips, saying so).
    static func otherUser() async throws -> OtherUser? {
        guard getuid() == 0 else { return nil }
        let name = "troupe-test-other"
        if getpwnam(name) == nil {
            let made = try await run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
            guard made.status == .exited(0) || getpwnam(name) != nil else { throw Failure("useradd \(name) failed: \(made)") }
        }
        guard let entry = getpwnam(name) else { throw Failure("no user \(name) after useradd") }
        return OtherUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    // MARK: Keys and files

    static func makeKeys(_ names: [String], in folder: String) async throws {
        for name in names {
            let run = try await troupe(["keygen", "--out", folder + "/" + name])
            guard run.status == .exited(0) else { throw Failure("troupe keygen failed: \(run)") }
        }
    }

    static func isZ85(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || ".-:+=^!/*?&<>()[]{}@%$#".contains(character))
    }

    static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw Failure("cannot write \(path): errno \(errno)") }
        defer { close(descriptor) }
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Live processes whose executable is `binary`.
    static func processes(running binary: String) -> [Int32] {
        ProcessTable.allProcesses().filter { pid in
            var buffer = [UInt8](repeating: 0, count: 4097)
            let length = readlink("/proc/\(pid)/exe", &buffer, 4096)
            return pid != getpid() && length > 0 && String(decoding: buffer[..<length], as: UTF8.self) == binary && ProcessTable.isAlive(pid)
        }
    }

    /// A private folder under /tmp, removed by `remove()`.
    struct Scratch {
        let path: String

        init() throws {
            var template = Array("/tmp/troupe-cli-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw Failure("mkdtemp failed: errno \(errno)") }
            path = String(cString: made)
        }

        func remove() { CLIHarness.removeTree(path) }
    }

    static func removeTree(_ path: String) {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(path + "/" + name) } else { unlink(path + "/" + name) }
            }
            closedir(directory)
        }
        rmdir(path)
    }

    // MARK: Sockets

    /// A TCP port on 127.0.0.1 that nothing listens on (the kernel's pick, released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure("bind failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A connected TCP socket to 127.0.0.1:`port`, with 2 s send and receive timeouts.
    private static func connectTCP(_ port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        return descriptor
    }

    private static func sendAll(_ bytes: [UInt8], on descriptor: Int32) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }  // the peer closed the connection: fine, it refused the garbage
            sent += count
        }
    }

    /// Reads `count` bytes, or fewer if the peer closes or is silent for 2 s.
    private static func receive(_ count: Int, on descriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < count {
            let got = recv(descriptor, &buffer, min(buffer.count, count - bytes.count), 0)
            if got <= 0 { break }
            bytes.append(contentsOf: buffer[..<got])
        }
        return bytes
    }

    /// Connects to 127.0.0.1:`port`, writes `bytes`, waits briefly for the peer's answer (or
    /// its closing the connection), and closes.
    static func sendRaw(_ bytes: [UInt8], to port: Int) throws {
        let descriptor = try connectTCP(port)
        defer { close(descriptor) }
        sendAll(bytes, on: descriptor)
        _ = receive(1 << 16, on: descriptor)
    }

    /// A ZMTP 3.0 greeting (RFC 23) for `mechanism`, as a client.
    static func zmtpGreeting(mechanism: String) -> [UInt8] {
        var greeting: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7F, 3, 0]
        greeting += Array(mechanism.utf8) + Array(repeating: 0, count: 20 - mechanism.utf8.count)
        greeting += [0] + Array(repeating: 0, count: 31)
        return greeting
    }

    /// Speaks just enough ZMTP 3.0 (NULL mechanism, as a DEALER) to deliver `messages`, each a
    /// list of frames, to an insecure supervisor; then reads what it answers for a moment.
    static func sendZMTP(_ messages: [[[UInt8]]], to port: Int) throws {
        let descriptor = try connectTCP(port)
        defer { close(descriptor) }
        sendAll(zmtpGreeting(mechanism: "NULL"), on: descriptor)
        let greeting = receive(64, on: descriptor)
        guard greeting.count == 64, greeting[0] == 0xFF, greeting[9] == 0x7F else {
            throw Failure("no ZMTP greeting from the supervisor (got \(greeting.count) bytes)")
        }
        // READY with Socket-Type DEALER.
        let type = Array("Socket-Type".utf8), value = Array("DEALER".utf8)
        let ready: [UInt8] = [5] + Array("READY".utf8) + [UInt8(type.count)] + type + [0, 0, 0, UInt8(value.count)] + value
        sendAll([0x04, UInt8(ready.count)] + ready, on: descriptor)
        for message in messages {
            var bytes: [UInt8] = []
            for (index, frame) in message.enumerated() {
                let more: UInt8 = index < message.count - 1 ? 0x01 : 0x00
                if frame.count < 256 {
                    bytes += [more, UInt8(frame.count)]
                } else {
                    bytes += [more | 0x02] + withUnsafeBytes(of: UInt64(frame.count).bigEndian, Array.init)
                }
                bytes += frame
            }
            sendAll(bytes, on: descriptor)
        }
        _ = receive(1 << 16, on: descriptor)
    }
}

