package dev.kdedge.calibration.training;

/**
 * Training stopped because a step's loss was not a finite number: every later step would only carry the NaN on, and
 * the student could never pass its parity check.
 */
public final class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(double loss, int epoch, int batch) {
        super(String.format("training stopped: the loss was %s at epoch %d, batch %d. If it had been rising, the "
                + "learning rate is too high for these images. If it had been falling, the CPU's math kernels failed: "
                + "PyTorch's oneDNN AVX-512 kernels were seen to produce NaN in layers of 8 channels on an AMD EPYC "
                + "(Zen 5); ONEDNN_MAX_CPU_ISA=AVX2 in the environment avoids them", loss, epoch, batch));
    }
}
