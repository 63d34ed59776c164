package dev.kdedge.node.console;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.config.Role;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * The people who may sign in to the console: an account name, a role (engineer or observer) and a bcrypt hash of the
 * password, from node.yaml. Checking a password costs a bcrypt round on purpose; callers run it off the event loop.
 * An account that failed {@value #FAILURES_BEFORE_PAUSE} times in a row is refused for a minute, whatever is sent.
 */
public final class ConsoleAccounts {
    static final int FAILURES_BEFORE_PAUSE = 5;
    private static final Duration PAUSE = Duration.ofMinutes(1);
    private static final int COST = 12;
    /** Checked against when the account does not exist, so a wrong name takes as long as a wrong password. */
    private static final String UNKNOWN_ACCOUNT = hash("an account that does not exist".toCharArray());

    /** An account that signed in. */
    public record Account(String name, Role role) {}

    /** Why an attempt to sign in failed. */
    public static final class SignInRefused extends Exception {
        private final boolean paused;

        SignInRefused(String message, boolean paused) {
            super(message);
            this.paused = paused;
        }

        /** The account is paused after too many failures (HTTP 429), rather than the password wrong (401). */
        public boolean paused() {
            return paused;
        }
    }

    private final Map<String, NodeConfig.Console.Account> accounts;
    private final Cache<String, AtomicInteger> failures = Caffeine.newBuilder().expireAfterWrite(PAUSE)
            .maximumSize(10_000).build();

    public ConsoleAccounts(Map<String, NodeConfig.Console.Account> accounts) {
        this.accounts = Map.copyOf(accounts);
    }

    /** A bcrypt hash of {@code password} for node.yaml's {@code console.accounts}. */
    public static String hash(char[] password) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password, salt, COST);
    }

    /**
     * The account, if {@code password} is its password. Blocking: one bcrypt round.
     *
     * @throws SignInRefused with the message the person reads
     */
    public Account signIn(String name, String password) throws SignInRefused {
        AtomicInteger failed = failures.getIfPresent(name);
        if (failed != null && failed.get() >= FAILURES_BEFORE_PAUSE) {
            throw new SignInRefused("account " + name + " failed to sign in " + FAILURES_BEFORE_PAUSE
                    + " times; try again in a minute", true);
        }
        NodeConfig.Console.Account account = accounts.get(name);
        // bcrypt reads at most 72 bytes of a password; a longer one would be accepted by its first 72
        boolean tooLong = password.getBytes(StandardCharsets.UTF_8).length > 72;
        boolean matches = OpenBSDBCrypt.checkPassword(account != null ? account.passwordHash : UNKNOWN_ACCOUNT,
                password.toCharArray());
        if (account == null || !matches || tooLong) {
            failures.get(name, n -> new AtomicInteger()).incrementAndGet();
            throw new SignInRefused("unknown account or wrong password", false);
        }
        failures.invalidate(name);
        return new Account(name, Role.named(account.role));
    }
}
