package dev.kdedge.node;

import dev.kdedge.node.console.ConsoleAccounts;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code kdedge-node hash-password}: the bcrypt hash of a console account's password, for node.yaml. Asks twice on a
 * terminal; reads one line from standard input otherwise (a script's pipe).
 */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
        description = "Print the bcrypt hash of a web console account's password (console.accounts in node.yaml).")
final class HashPasswordCommand implements Callable<Integer> {
    static final int MIN_LENGTH = 8;
    /** bcrypt reads no further: a longer password would be accepted by its first 72 bytes alone. */
    static final int MAX_BYTES = 72;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        char[] password;
        Console terminal = System.console();
        if (terminal != null) {
            password = terminal.readPassword("password: ");
            char[] again = terminal.readPassword("again: ");
            if (password == null || !Arrays.equals(password, again)) {
                spec.commandLine().getErr().println("kdedge-node: the two passwords differ");
                return 1;
            }
        } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? new char[0] : line.toCharArray();
        }
        int bytes = new String(password).getBytes(StandardCharsets.UTF_8).length;
        if (password.length < MIN_LENGTH || bytes > MAX_BYTES) {
            spec.commandLine().getErr().println("kdedge-node: a password is " + MIN_LENGTH + " characters to "
                    + MAX_BYTES + " bytes long");
            return 1;
        }
        spec.commandLine().getOut().println(ConsoleAccounts.hash(password));
        return 0;
    }
}
