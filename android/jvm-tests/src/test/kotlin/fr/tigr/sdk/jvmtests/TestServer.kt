package fr.tigr.sdk.jvmtests

import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/** A free TCP port on loopback (bound once, then released). */
fun freePort(): Int = ServerSocket(0).use { it.localPort }

/**
 * The phone's network: a TCP relay from the server's public port to the port it listens on.
 * [cut] simulates a phone without network (connection refused), [restore] brings it back.
 * The browser side talks to the server directly, so it stays online.
 */
class PhoneNetwork(private val publicPort: Int, private val serverPort: Int) : AutoCloseable {
    private val sockets = Collections.synchronizedSet(mutableSetOf<Socket>())
    @Volatile private var listener: ServerSocket? = null

    init { restore() }

    /** Opens the relay (again). */
    @Synchronized
    fun restore() {
        if (listener != null) return
        val server = ServerSocket()
        server.reuseAddress = true
        server.bind(java.net.InetSocketAddress("127.0.0.1", publicPort))
        listener = server
        thread(isDaemon = true, name = "relay-accept") {
            while (!server.isClosed) {
                val phone = try { server.accept() } catch (e: java.io.IOException) { break }
                val upstream = try {
                    Socket("127.0.0.1", serverPort)
                } catch (e: java.io.IOException) {
                    phone.close(); continue
                }
                // A connection that raced with cut() (accepted while the listener was closing)
                // is dropped: once cut() returns, the phone gets no byte through.
                val live = synchronized(this) {
                    if (listener === server) {
                        sockets += phone; sockets += upstream
                    }
                    listener === server
                }
                if (!live) {
                    runCatching { phone.close() }; runCatching { upstream.close() }
                    break
                }
                pump(phone, upstream); pump(upstream, phone)
            }
        }
    }

    private fun pump(from: Socket, to: Socket) = thread(isDaemon = true, name = "relay-pump") {
        try {
            from.getInputStream().copyTo(to.getOutputStream())
        } catch (_: java.io.IOException) {
        } finally {
            runCatching { to.shutdownOutput() }
            runCatching { from.close() }
            sockets -= from
        }
    }

    /** Closes the relay and every connection through it: the phone is offline. */
    @Synchronized
    fun cut() {
        listener?.close()
        listener = null
        synchronized(sockets) { sockets.toList() }.forEach { runCatching { it.close() } }
        sockets.clear()
    }

    override fun close() = cut()
}

/** A challenge as the login page gets it. */
data class Challenge(val id: String, val qrPayload: String, val browserToken: String)

/**
 * A real `tigr-server` process on loopback (target/release/tigr-server), its admin CLI and the
 * browser side of its HTTP API. [settings] are extra environment variables of the server and its
 * CLI (e.g. `TIGR_LOCKOUT_DURATION`).
 */
class TestServer(private val settings: Map<String, String> = emptyMap()) : AutoCloseable {
    val dir: Path = Files.createTempDirectory("tigr-jvm-tests")
    private val serverPort = freePort()
    private val publicPort = freePort()
    val publicUrl = "http://127.0.0.1:$publicPort"
    private val directUrl = "http://127.0.0.1:$serverPort"
    private val binary = File(System.getProperty("tigr.server.binary") ?: "../../target/release/tigr-server")
    private val log = dir.resolve("server.log").toFile()
    private val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
    val network = PhoneNetwork(publicPort, serverPort)
    private val process: Process

    private fun env(pb: ProcessBuilder): ProcessBuilder = pb.apply {
        environment()["TIGR_LISTEN"] = "127.0.0.1:$serverPort"
        environment()["TIGR_PUBLIC_URL"] = publicUrl
        environment()["TIGR_DATABASE_URL"] = "sqlite://${dir.resolve("tigr.db")}"
        environment()["TIGR_MASTER_KEY_FILE"] = dir.resolve("master.key").toString()
        environment()["TIGR_SERVICE_NAME"] = SERVICE_NAME
        // The suites enroll and log in dozens of phones a minute, all from 127.0.0.1: the
        // per-address rate limits (tested on the server side) would slow them down.
        for (kind in listOf("CHALLENGES", "ANSWERS", "OFFLINE", "ENROLLMENTS")) {
            environment()["TIGR_RATE_LIMIT_$kind"] = "0"
        }
        environment().putAll(settings)
        directory(dir.toFile())
    }

    init {
        check(binary.canExecute()) { "no server binary at $binary: run android/jvm-tests/run.sh" }
        process = env(ProcessBuilder(binary.path, "serve"))
            .redirectErrorStream(true)
            .redirectOutput(log)
            .start()
        waitHealthy()
    }

    private fun waitHealthy() {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
        while (System.nanoTime() < deadline) {
            check(process.isAlive) { "tigr-server exited:\n${log.readText()}" }
            val ok = runCatching {
                http.send(
                    HttpRequest.newBuilder(URI("$directUrl/healthz")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding(),
                ).statusCode() == 200
            }.getOrDefault(false)
            if (ok) return
            Thread.sleep(100)
        }
        error("tigr-server not healthy after 30 s:\n${log.readText()}")
    }

    /** `tigr-server enroll <account>`: the invitation the admin shows as a QR code. */
    fun invitationPayload(account: String): String {
        val png = dir.resolve("$account.png")
        val out = dir.resolve("enroll-$account.txt").toFile()
        val cli = env(ProcessBuilder(binary.path, "enroll", account, "--png", png.toString()))
            .redirectErrorStream(true)
            .redirectOutput(out)
            .start()
        check(cli.waitFor(60, TimeUnit.SECONDS)) { "tigr-server enroll hung" }
        val text = out.readText()
        check(cli.exitValue() == 0) { "tigr-server enroll $account failed:\n$text" }
        return INVITATION.find(text)?.value ?: error("no invitation payload in:\n$text")
    }

    private fun call(method: String, path: String, body: String?, token: String?): HttpResponse<String> {
        val builder = HttpRequest.newBuilder(URI("$directUrl/api/v1$path"))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
        token?.let { builder.header("x-tigr-browser-token", it) }
        builder.method(method, body?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody())
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString())
    }

    /** The login page asks for a challenge. */
    fun createChallenge(): Challenge {
        val reply = call("POST", "/login/challenges", "{}", null)
        check(reply.statusCode() == 201 || reply.statusCode() == 200) { "create challenge: ${reply.statusCode()} ${reply.body()}" }
        val body = reply.body()
        return Challenge(json(body, "challenge_id"), json(body, "qr_payload"), json(body, "browser_token"))
    }

    /** The login page reads the challenge's state: `pending`, `scanned`, `approved`... */
    fun state(challenge: Challenge): Pair<String, String?> {
        val reply = call("GET", "/login/challenges/${challenge.id}/status", null, challenge.browserToken)
        check(reply.statusCode() == 200) { "status: ${reply.statusCode()} ${reply.body()}" }
        return json(reply.body(), "state") to jsonOrNull(reply.body(), "account")
    }

    /**
     * The challenge's state once it is [expected], waiting 10 s at most: the server marks a
     * challenge `scanned` just after it answers the phone's context.
     */
    fun awaitState(challenge: Challenge, expected: String): String {
        repeat(500) {
            val state = state(challenge).first
            if (state == expected) return state
            Thread.sleep(20)
        }
        return state(challenge).first
    }

    /** The login page submits the Tigr ID and one-time password typed by the user. */
    fun submitOffline(challenge: Challenge, tigrId: String, otp: String): HttpResponse<String> =
        call("POST", "/login/challenges/${challenge.id}/offline", """{"tigr_id":"$tigrId","otp":"$otp"}""", challenge.browserToken)

    fun logTail(): String = log.readLines().takeLast(40).joinToString("\n")

    override fun close() {
        network.close()
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly()
        dir.toFile().deleteRecursively()
    }

    companion object {
        const val SERVICE_NAME = "Tigr JVM tests"
        val INVITATION = Regex("""https?://\S+/t/1/E/[A-Z2-7]{26}""")

        fun jsonOrNull(body: String, key: String): String? =
            Regex(""""$key"\s*:\s*"([^"]*)"""").find(body)?.groupValues?.get(1)

        fun json(body: String, key: String): String =
            jsonOrNull(body, key) ?: error("no \"$key\" in $body")
    }
}
