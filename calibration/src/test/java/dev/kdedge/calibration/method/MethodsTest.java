package dev.kdedge.calibration.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MethodsTest {
    @Test
    void methodsAreFoundByTheNameTheirBundlesRecord() {
        assertEquals(List.of("mkd", "rd4ad", "stfpm"), Methods.names());
        for (String name : Methods.names()) {
            assertEquals(name, Methods.named(name).name());
        }
    }

    @Test
    void aLocalizationIsRecordedInTheMapParametersAndRestoredFromThem() {
        DistillationMethod vanilla = Methods.named("mkd").localizing("vanilla");
        assertEquals("vanilla", vanilla.anomalyMapParameters().get(Methods.LOCALIZATION));
        assertEquals("vanilla", Methods.named("mkd", vanilla.anomalyMapParameters()).anomalyMapParameters()
                .get(Methods.LOCALIZATION));
        assertEquals("guided", Methods.named("mkd").anomalyMapParameters().get(Methods.LOCALIZATION));
        assertThrows(IllegalArgumentException.class, () -> Methods.named("mkd").localizing("smooth"));
        var refused = assertThrows(IllegalArgumentException.class, () -> Methods.named("stfpm").localizing("guided"));
        assertTrue(refused.getMessage().contains("one way to localize"), refused.getMessage());
    }

    @Test
    void anUnknownMethodIsRefusedNamingTheOnesThereAre() {
        var refused = assertThrows(IllegalArgumentException.class, () -> Methods.named("padim"));
        assertTrue(refused.getMessage().contains("unknown method 'padim' (available: " + String.join(", ",
                Methods.names())), refused.getMessage());
    }
}
