package dev.kdedge.calibration.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** The libtorch switches DJL does not expose are set on the library DJL loaded. */
class PyTorchEngineTest {
    @Test
    void nnpackIsOffAndCppMessagesBelowTheConfiguredLevelAreDropped() {
        assertFalse(PyTorchEngine.nnpackEnabled(), "NNPACK is still considered for convolutions");
        assertEquals(PyTorchEngine.cppLogLevel(System.getenv("TORCH_CPP_LOG_LEVEL")), PyTorchEngine.cppLogLevel());
    }

    @Test
    void theLogLevelIsReadAsPythonsTorchReadsIt() {
        assertEquals(2, PyTorchEngine.cppLogLevel(null));
        assertEquals(1, PyTorchEngine.cppLogLevel("warning"));
        assertEquals(0, PyTorchEngine.cppLogLevel("0"));
        assertEquals(3, PyTorchEngine.cppLogLevel(" FATAL "));
        assertEquals(2, PyTorchEngine.cppLogLevel("loud"));
    }
}
