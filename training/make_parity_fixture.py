"""Writes tests/fixtures/parity/: a small bundle exported from PyTorch (a reduced DenseNet and a
small VAE, random weights with non-trivial batch-norm statistics) and PyTorch's outputs on a few
inputs, so the exporter's parity is tested in CI without training. Run with /usr/bin/python3."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from export import export_densenet, export_vae, parity_fixture  # noqa: E402
from models import ConvVAE, densenet_grey  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "parity")
torch.manual_seed(0)
np.random.seed(0)


def randomise_batchnorm(model, sample):
    """Random affine parameters and running statistics gathered on data, as after training."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
            m.momentum = None  # cumulative average over the passes below
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(sample())
    model.eval()


size, labels = 32, ["Pneumonia", "Effusion"]
classifier = densenet_grey(len(labels), growth_rate=8, block_config=(2, 2), num_init_features=16, bn_size=2)
randomise_batchnorm(classifier, lambda: torch.rand(8, 1, size, size) * 2 - 1)
vae = ConvVAE(latent=16, width=8)
randomise_batchnorm(vae, lambda: torch.rand(8, 1, 64, 64) * 2 - 1)

os.makedirs(OUT, exist_ok=True)
nodes = export_densenet(classifier, size, os.path.join(OUT, "classifier"))
ae_nodes = export_vae(vae, os.path.join(OUT, "ood"))
card = {
    "format": "cxr-workbench/bundle@1",
    "name": "parity-fixture",
    "description": "Random weights, exported by training/export.py: tests the exporter, predicts nothing.",
    "labels": labels,
    "operatingPoints": [0.5, 0.5],
    "resize": "crop",
    "classifier": {"path": "classifier/model.json", "inputLayout": "NHWC", "inputSize": size, "channels": 1,
                   "normalisation": "symmetric", **nodes},
    "ood": {"path": "ood/model.json", "inputLayout": "NHWC", "inputSize": 64, "normalisation": "symmetric", **ae_nodes,
            "decision": {"score": "ssim", "threshold": 0.5, "inDistributionWhen": "above"}},
    "provenance": {"source": "training/make_parity_fixture.py", "torch": torch.__version__},
}
with open(os.path.join(OUT, "card.json"), "w") as f:
    json.dump(card, f, indent=2)


def symmetric(x):
    return x * 2 - 1


def classify(x):
    logits = classifier(x)
    return logits, torch.sigmoid(logits)


def autoencode(x):
    reconstruction, mu, _ = vae(x)
    return reconstruction, mu


rng = np.random.default_rng(1)
fixtures = {
    "classifier": parity_fixture(classify, rng.random((3, size, size)).astype(np.float32), symmetric, ["logits", "probabilities"]),
    "ood": parity_fixture(autoencode, rng.random((1, 64, 64)).astype(np.float32), symmetric, ["reconstruction", "latent"]),
}
for part, fixture in fixtures.items():  # the same files train.py writes next to a real bundle
    with open(os.path.join(OUT, f"{part}-parity.json"), "w") as f:
        json.dump(fixture, f)
print("wrote", os.path.abspath(OUT))
