package dev.kdedge.calibration.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MethodsTest {
    @Test
    void methodsAreFoundByTheNameTheirBundlesRecord() {
        assertEquals(List.of("rd4ad", "stfpm"), Methods.names());
        for (String name : Methods.names()) {
            assertEquals(name, Methods.named(name).name());
        }
    }

    @Test
    void anUnknownMethodIsRefusedNamingTheOnesThereAre() {
        var refused = assertThrows(IllegalArgumentException.class, () -> Methods.named("padim"));
        assertTrue(refused.getMessage().contains("unknown method 'padim' (available: " + String.join(", ",
                Methods.names())), refused.getMessage());
    }
}
