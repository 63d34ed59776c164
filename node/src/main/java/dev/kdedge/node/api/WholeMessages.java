package dev.kdedge.node.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a gRPC request body, as it comes in HTTP/2 frames, into buffers that each hold one whole message (its 5-byte
 * prefix and its bytes). A message that came within one frame is handed on as a slice of it; one that spans frames is
 * held as it comes, frame by frame, and copied once into a buffer of its size when its last byte is in, the prefix
 * having given the size up front. The bytes handed on are exactly the bytes received, in order, only cut differently.
 * <p>
 * A message over the size limit, and everything after it, is handed on as it comes, from its prefix on: vertx-grpc
 * refuses it at its prefix and skips it, and nothing is held for it here.
 */
final class WholeMessages {
    private static final int PREFIX_BYTES = 5;

    private final long maxMessageBytes;
    /** The current message's bytes received so far (its prefix first), in order. */
    private final List<Buffer> held = new ArrayList<>();
    private int heldBytes;
    /** The current message's length with its prefix, once its prefix is in; -1 before. */
    private long messageBytes = -1;
    private boolean asItComes;

    WholeMessages(long maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Takes the body's next frame; hands every message it completes to {@code messages}, in order. */
    void cut(Buffer frame, Handler<Buffer> messages) {
        int at = 0;
        int length = frame.length();
        while (at < length && !asItComes) {
            if (messageBytes < 0) {
                if (heldBytes == 0 && length - at >= PREFIX_BYTES) {
                    messageBytes = PREFIX_BYTES + frame.getUnsignedInt(at + 1);
                } else {
                    int prefixPart = Math.min(PREFIX_BYTES - heldBytes, length - at);
                    hold(frame.slice(at, at + prefixPart));
                    at += prefixPart;
                    if (heldBytes < PREFIX_BYTES) {
                        continue;
                    }
                    Buffer prefix = joined();
                    hold(prefix);
                    messageBytes = PREFIX_BYTES + prefix.getUnsignedInt(1);
                }
                asItComes = messageBytes - PREFIX_BYTES > maxMessageBytes;
            } else if (heldBytes == 0 && messageBytes <= length - at) {
                int end = at + (int) messageBytes;
                messageBytes = -1;
                messages.handle(frame.slice(at, end));
                at = end;
            } else {
                int part = (int) Math.min(messageBytes - heldBytes, length - at);
                hold(frame.slice(at, at + part));
                at += part;
            }
            if (heldBytes > 0 && heldBytes == messageBytes) {
                messageBytes = -1;
                messages.handle(joined());
            }
        }
        if (asItComes) {
            end(messages);
            if (at < length) {
                messages.handle(at == 0 ? frame : frame.slice(at, length));
            }
        }
    }

    /** The body ended: what is held of an unfinished message is handed on as far as it came. */
    void end(Handler<Buffer> messages) {
        if (heldBytes > 0) {
            messages.handle(joined());
        }
    }

    private void hold(Buffer part) {
        held.add(part);
        heldBytes += part.length();
    }

    /** What is held, in one buffer of its size; nothing is held after. */
    private Buffer joined() {
        Buffer whole = Buffer.buffer(heldBytes);
        for (Buffer part : held) {
            whole.appendBuffer(part);
        }
        held.clear();
        heldBytes = 0;
        return whole;
    }
}
