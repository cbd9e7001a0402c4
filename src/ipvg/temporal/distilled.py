"""Distilled few-step recipes' weights, kept apart from the backends so that presets (config.py)
can name them without importing torch."""

from __future__ import annotations

from ipvg.config import LoraConfig

# Wan2.2-Lightning (lightx2v/ModelTC, Apache-2.0): 4-step distillation LoRAs for I2V-A14B, one per
# expert (rank 64, alpha stored in the files). Sources checked for this recipe: the model card and
# README of github.com/ModelTC/Wan2.2-Lightning (4 steps, no CFG, `--lora_dir` with the I2V folder);
# its issue #8 quoting the i2v-A14B config (sample_steps 4, boundary 0.900, guide scale (1.0, 1.0));
# issue #3 (training timesteps 1000, 937.5, 833.3, 625 = flow shift 5 over 1, .75, .5, .25); the
# LightX2V step-distill scheduler (plain Euler steps on those sigmas, last step to sigma 0) and its
# Wan2.2 example (4 steps, guidance 1, sample_shift 5). Issue #13: videos move more slowly than the
# base model's 40-step ones (known, unresolved upstream).
LIGHTNING_REPO = "lightx2v/Wan2.2-Lightning"
LIGHTNING_I2V_FOLDER = "Wan2.2-I2V-A14B-4steps-lora-rank64-Seko-V1"
LIGHTNING_I2V_LORAS = (
    LoraConfig(
        path=LIGHTNING_REPO,
        weight_name=f"{LIGHTNING_I2V_FOLDER}/high_noise_model.safetensors",
        adapter_name="lightning_high_noise",
        target="transformer",
    ),
    LoraConfig(
        path=LIGHTNING_REPO,
        weight_name=f"{LIGHTNING_I2V_FOLDER}/low_noise_model.safetensors",
        adapter_name="lightning_low_noise",
        target="transformer_2",
    ),
)
