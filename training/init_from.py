"""Loads an exported classifier (training/export.py's graph model) back into a PyTorch DenseNet, so a
bundle can be fine-tuned from an earlier one: e.g. at 224 px from the 128 px bundle (progressive
resizing; the convolutions do not depend on the input size).

The export folds each batch-norm that follows a convolution into it and writes the others as an exact
per-channel affine. Loaded back, every batch-norm is that affine (mean 0, variance 1, eps 0); training
must keep them in eval mode (freeze_batchnorm), since batch statistics of the folded network are not
the ones the affines expect. The affine weights themselves stay trainable."""
import hashlib
import json
import os

import numpy as np
import torch
import torch.nn as nn


def read_exported(folder):
    """name -> float32 array, from model.json's manifest and its shards (float16 or float32)."""
    with open(os.path.join(folder, "model.json")) as f:
        model = json.load(f)
    weights = {}
    for group in model["weightsManifest"]:
        blob = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            count = int(np.prod(entry["shape"])) if entry["shape"] else 1
            dtype = (entry.get("quantization") or {}).get("dtype") or entry["dtype"]
            np_dtype = {"float16": "<f2", "float32": "<f4", "int32": "<i4"}[dtype]
            size = count * np.dtype(np_dtype).itemsize
            array = np.frombuffer(blob, np_dtype, count, offset).reshape(entry["shape"])
            weights[entry["name"]] = array.astype(np.float32 if dtype != "int32" else np.int32)
            offset += size
    return weights


def folder_sha256(folder):
    digest = hashlib.sha256()
    for name in ("model.json", "weights.bin"):
        with open(os.path.join(folder, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def _set_conv(conv, kernel):
    # TF [kh, kw, in, out] -> PyTorch [out, in, kh, kw]
    t = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
    if tuple(t.shape) != tuple(conv.weight.shape):
        raise ValueError(f"kernel shape {tuple(t.shape)} does not fit {tuple(conv.weight.shape)}")
    conv.weight.data.copy_(t)


def _set_affine(bn, scale, shift):
    if scale.shape[0] != bn.num_features:
        raise ValueError(f"affine of {scale.shape[0]} channels does not fit a batch-norm of {bn.num_features}")
    bn.weight.data.copy_(torch.from_numpy(scale))
    bn.bias.data.copy_(torch.from_numpy(shift))
    bn.running_mean.zero_()
    bn.running_var.fill_(1.0)
    bn.eps = 0.0


def load_exported_densenet(model, folder):
    """Fills a densenet_grey model with an exported classifier's weights; raises on any mismatch."""
    w = read_exported(folder)
    f = model.features
    ones = lambda n: np.ones(n, np.float32)  # noqa: E731
    with torch.no_grad():
        _set_conv(f.conv0, w["conv0/kernel"])
        _set_affine(f.norm0, ones(f.norm0.num_features), w["conv0/bias"])
        for name, module in f.named_children():
            if name.startswith("denseblock"):
                for lname, layer in module.named_children():
                    p = f"{name}/{lname}"
                    _set_affine(layer.norm1, w[f"{p}/norm1/scale"], w[f"{p}/norm1/shift"])
                    _set_conv(layer.conv1, w[f"{p}/conv1/kernel"])
                    _set_affine(layer.norm2, ones(layer.norm2.num_features), w[f"{p}/conv1/bias"])
                    _set_conv(layer.conv2, w[f"{p}/conv2/kernel"])
            elif name.startswith("transition"):
                _set_affine(module.norm, w[f"{name}/norm/scale"], w[f"{name}/norm/shift"])
                _set_conv(module.conv, w[f"{name}/conv/kernel"])
        _set_affine(f.norm5, w["norm5/scale"], w["norm5/shift"])
        kernel = torch.from_numpy(np.ascontiguousarray(w["dense/kernel"].T))
        if tuple(kernel.shape) != tuple(model.classifier.weight.shape):
            raise ValueError(f"dense kernel {tuple(kernel.shape)} does not fit {tuple(model.classifier.weight.shape)}: another label set?")
        model.classifier.weight.data.copy_(kernel)
        model.classifier.bias.data.copy_(torch.from_numpy(w["dense/bias"]))
    return model


def freeze_batchnorm(model):
    """Batch-norms to eval mode (their statistics fixed), after model.train()."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return model
