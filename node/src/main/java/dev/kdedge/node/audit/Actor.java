package dev.kdedge.node.audit;

/**
 * Who asked for a change, as the door they came through knows them.
 *
 * @param name a console account's name, or a client certificate's subject (the client's address without one)
 * @param door {@code console} or {@code grpc}
 */
public record Actor(String name, String door) {
    public static Actor console(String account) {
        return new Actor(account, "console");
    }

    public static Actor grpc(String client) {
        return new Actor(client, "grpc");
    }
}
