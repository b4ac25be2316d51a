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
