"""PyTorch -> TF.js graph model (model.json + one weight shard), written by hand: no TensorFlow is
installable here. NHWC throughout, no Transpose ops, batch-norm folded into the convolution that
precedes it (or kept as one Mul + Add where a ReLU sits in between, as DenseNet's pre-activation
layers need). Node and attribute shapes follow src/pipeline/model/graph-builder.ts.

Also writes parity fixtures: inputs and PyTorch's outputs, which tests/parity.test.ts compares with
TF.js (the Chester paper checked its conversion to 1e-5; we require 1e-4)."""
import base64
import copy
import json
import os

import numpy as np
import torch
import torch.nn as nn

FLOAT = {"type": "DT_FLOAT"}


def _ints(values):
    return {"list": {"i": [str(int(v)) for v in values]}}


def _shape(shape):
    return {"dim": [{"size": str(int(s))} for s in shape]}


def _s(text):
    return {"s": base64.b64encode(text.encode()).decode()}


class GraphWriter:
    def __init__(self):
        self.nodes, self.weights, self.names = [], [], set()

    def _name(self, name):
        base, i = name, 1
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    def placeholder(self, name, shape):
        name = self._name(name)
        self.nodes.append({"name": name, "op": "Placeholder", "attr": {"dtype": FLOAT, "shape": {"shape": _shape(shape)}}})
        return name

    def const(self, name, array):
        name = self._name(name)
        array = np.ascontiguousarray(array)
        dtype = "DT_INT32" if array.dtype.kind in "iu" else "DT_FLOAT"
        array = array.astype(np.int32 if dtype == "DT_INT32" else np.float32)
        self.weights.append((name, array))
        self.nodes.append({"name": name, "op": "Const", "attr": {
            "value": {"tensor": {"dtype": dtype, "tensorShape": _shape(array.shape)}}, "dtype": {"type": dtype}}})
        return name

    def op(self, name, op, inputs, attr=None):
        name = self._name(name)
        self.nodes.append({"name": name, "op": op, "input": list(inputs), "attr": {"T": FLOAT, **(attr or {})}})
        return name

    # --- layers ---------------------------------------------------------------------------
    def conv(self, name, x, weight, bias=None, stride=1, padding=0):
        """PyTorch Conv2d weight [out, in, kh, kw] -> TF [kh, kw, in, out]."""
        kh = weight.shape[2]
        if padding and not (stride == 1 and padding == (kh - 1) // 2):
            # TF's SAME pads asymmetrically for strided convs; pad explicitly as PyTorch does.
            x = self.op(f"{name}/pad", "Pad", [x, self.const(f"{name}/paddings", np.array([[0, 0], [padding, padding], [padding, padding], [0, 0]]))],
                        {"Tpaddings": {"type": "DT_INT32"}})
            pad_mode = "VALID"
        else:
            pad_mode = "SAME" if padding else "VALID"
        kernel = self.const(f"{name}/kernel", weight.transpose(2, 3, 1, 0))
        y = self.op(name, "Conv2D", [x, kernel], {"strides": _ints([1, stride, stride, 1]), "padding": _s(pad_mode),
                                                 "data_format": _s("NHWC"), "dilations": _ints([1, 1, 1, 1])})
        if bias is not None:
            y = self.op(f"{name}/bias_add", "BiasAdd", [y, self.const(f"{name}/bias", bias)], {"data_format": _s("NHWC")})
        return y

    def affine(self, name, x, scale, shift):
        y = self.op(f"{name}/mul", "Mul", [x, self.const(f"{name}/scale", scale)])
        return self.op(f"{name}/add", "Add", [y, self.const(f"{name}/shift", shift)])

    def relu(self, name, x):
        return self.op(name, "Relu", [x])

    def pool(self, name, x, op, size, stride):
        return self.op(name, op, [x], {"ksize": _ints([1, size, size, 1]), "strides": _ints([1, stride, stride, 1]),
                                       "padding": _s("VALID"), "data_format": _s("NHWC")})

    def write(self, folder, float16=False, shard="weights.bin"):
        os.makedirs(folder, exist_ok=True)
        manifest, blobs = [], []
        for name, array in self.weights:
            entry = {"name": name, "shape": list(array.shape), "dtype": "int32" if array.dtype == np.int32 else "float32"}
            if float16 and array.dtype == np.float32:
                half = array.astype("<f2")
                if not np.array_equal(half.astype(np.float32), array):
                    # The parity fixture must come from the very weights shipped: export float16_exact(model).
                    raise ValueError(f"{name}: weights are not exactly float16; export float16_exact(model) instead")
                entry["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
                blobs.append(half.tobytes())
            else:
                blobs.append(array.astype("<i4" if array.dtype == np.int32 else "<f4").tobytes())
            manifest.append(entry)
        with open(os.path.join(folder, shard), "wb") as f:
            for b in blobs:
                f.write(b)
        model = {"format": "graph-model", "generatedBy": f"cxr-workbench training/export.py (torch {torch.__version__})",
                 "convertedBy": None, "modelTopology": {"node": self.nodes, "library": {}, "versions": {"producer": 1}},
                 "weightsManifest": [{"paths": [shard], "weights": manifest}]}
        with open(os.path.join(folder, "model.json"), "w") as f:
            json.dump(model, f)


def _np(t):
    return t.detach().cpu().numpy().astype(np.float32)


def bn_affine(bn: nn.BatchNorm2d):
    scale = _np(bn.weight) / np.sqrt(_np(bn.running_var) + bn.eps)
    return scale, _np(bn.bias) - _np(bn.running_mean) * scale


def fold(conv: nn.Conv2d, bn: nn.BatchNorm2d):
    """Conv followed directly by BN -> one conv with bias."""
    scale, shift = bn_affine(bn)
    weight = _np(conv.weight) * scale[:, None, None, None]
    bias = shift + (_np(conv.bias) * scale if conv.bias is not None else 0)
    return weight, bias


def float16_exact(model: nn.Module) -> nn.Module:
    """A copy of the model whose exported weights are exactly float16, so that PyTorch's outputs on
    it are the shipped bundle's outputs (parity holds to float32 rounding, not to the quantisation).

    Each batch-norm that the exporter folds (the one right after a convolution) is folded here in
    PyTorch and left as an identity (weight 1, bias 0, mean 0, variance 1, eps 0); every other
    batch-norm becomes the exact affine x * scale + shift (mean 0, variance 1, eps 0); then every
    parameter is rounded to float16. The exporter's own folding then multiplies by exactly 1."""
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        for parent in model.modules():
            previous = None
            for child in parent.children():
                if isinstance(child, nn.BatchNorm2d):
                    scale, shift = (torch.from_numpy(a) for a in bn_affine(child))
                    if isinstance(previous, nn.Conv2d):
                        bias = previous.bias.data if previous.bias is not None else torch.zeros_like(shift)
                        previous.weight.data = previous.weight.data * scale[:, None, None, None]
                        previous.bias = nn.Parameter(bias * scale + shift)
                        scale, shift = torch.ones_like(scale), torch.zeros_like(shift)
                    child.weight.data, child.bias.data = scale.clone(), shift.clone()
                    child.running_mean.zero_()
                    child.running_var.fill_(1.0)
                    child.eps = 0.0
                previous = child
        for tensor in list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]:
            tensor.data = tensor.data.half().float()
    return model


def export_densenet(model, size, folder, float16=False):
    """torchvision DenseNet (grey input) -> graph with nodes input, features, logits, probabilities."""
    model = model.eval()
    g = GraphWriter()
    f = model.features
    x = g.placeholder("input", [-1, size, size, 1])
    w, b = fold(f.conv0, f.norm0)
    x = g.relu("relu0", g.conv("conv0", x, w, b, stride=2, padding=3))
    # Max pool 3x3 / 2 with padding 1: after ReLU zero padding equals PyTorch's -inf padding.
    x = g.op("pool0/pad", "Pad", [x, g.const("pool0/paddings", np.array([[0, 0], [1, 1], [1, 1], [0, 0]]))], {"Tpaddings": {"type": "DT_INT32"}})
    x = g.pool("pool0", x, "MaxPool", 3, 2)
    axis = g.const("concat/axis", np.array(3))
    for name, module in f.named_children():
        if name.startswith("denseblock"):
            features = [x]
            for lname, layer in module.named_children():
                p = f"{name}/{lname}"
                inp = features[0] if len(features) == 1 else g.op(f"{p}/concat", "ConcatV2", features + [axis],
                                                                  {"N": {"i": str(len(features))}, "Tidx": {"type": "DT_INT32"}})
                h = g.relu(f"{p}/relu1", g.affine(f"{p}/norm1", inp, *bn_affine(layer.norm1)))
                w, b = fold(layer.conv1, layer.norm2)
                h = g.relu(f"{p}/relu2", g.conv(f"{p}/conv1", h, w, b))
                h = g.conv(f"{p}/conv2", h, _np(layer.conv2.weight), padding=1)
                features.append(h)
            x = g.op(f"{name}/concat", "ConcatV2", features + [axis], {"N": {"i": str(len(features))}, "Tidx": {"type": "DT_INT32"}})
        elif name.startswith("transition"):
            h = g.relu(f"{name}/relu", g.affine(f"{name}/norm", x, *bn_affine(module.norm)))
            h = g.conv(f"{name}/conv", h, _np(module.conv.weight))
            x = g.pool(f"{name}/pool", h, "AvgPool", 2, 2)
    x = g.relu("features", g.affine("norm5", x, *bn_affine(f.norm5)))
    pooled = g.op("pool", "Mean", [x, g.const("pool/axes", np.array([1, 2]))], {"keep_dims": {"b": False}, "Tidx": {"type": "DT_INT32"}})
    dense = g.op("dense", "MatMul", [pooled, g.const("dense/kernel", _np(model.classifier.weight).T)],
                 {"transpose_a": {"b": False}, "transpose_b": {"b": False}})
    logits = g.op("logits", "Add", [dense, g.const("dense/bias", _np(model.classifier.bias))])
    g.op("probabilities", "Sigmoid", [logits])
    g.write(folder, float16)
    return {"inputNode": "input", "outputNode": "probabilities", "logitsNode": "logits", "featureNode": "features",
            "featureLayout": "NHWC", "denseKernel": "dense/kernel", "denseBias": "dense/bias", "head": "global-average-pool"}


def export_vae(model, folder, float16=False):
    """ConvVAE -> graph with nodes input, latent (mu), reconstruction."""
    model = model.eval()
    g = GraphWriter()
    size = model.size
    x = g.placeholder("input", [-1, size, size, 1])
    layers = list(model.encoder)
    for i in range(0, len(layers), 3):
        conv, bn = layers[i], layers[i + 1]
        w, b = fold(conv, bn)
        x = g.conv(f"encoder/conv{i // 3}", x, w, b, stride=2, padding=1)
        x = g.op(f"encoder/lrelu{i // 3}", "LeakyRelu", [x], {"alpha": {"f": layers[i + 2].negative_slope}})
    cells, top = model.cells, model.top
    # PyTorch flattens (C, H, W); our NHWC graph flattens (H, W, C): permute the Linear's columns.
    flat = g.op("encoder/flat", "Reshape", [x, g.const("encoder/flat/shape", np.array([-1, cells * cells * top]))], {"Tshape": {"type": "DT_INT32"}})
    w_mu = _np(model.mu.weight).reshape(-1, top, cells, cells).transpose(0, 2, 3, 1).reshape(-1, cells * cells * top)
    mu = g.op("latent/matmul", "MatMul", [flat, g.const("latent/kernel", w_mu.T)], {"transpose_a": {"b": False}, "transpose_b": {"b": False}})
    latent = g.op("latent", "Add", [mu, g.const("latent/bias", _np(model.mu.bias))])
    w_ex = _np(model.expand.weight).reshape(top, cells, cells, -1).transpose(1, 2, 0, 3).reshape(cells * cells * top, -1)
    b_ex = _np(model.expand.bias).reshape(top, cells, cells).transpose(1, 2, 0).reshape(-1)
    h = g.op("decoder/expand/matmul", "MatMul", [latent, g.const("decoder/expand/kernel", w_ex.T)], {"transpose_a": {"b": False}, "transpose_b": {"b": False}})
    h = g.relu("decoder/expand/relu", g.op("decoder/expand", "Add", [h, g.const("decoder/expand/bias", b_ex)]))
    h = g.op("decoder/unflat", "Reshape", [h, g.const("decoder/unflat/shape", np.array([-1, cells, cells, top]))], {"Tshape": {"type": "DT_INT32"}})
    layers = list(model.decoder)
    i, n, cur = 0, 0, cells
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, nn.Upsample):
            cur *= 2
            h = g.op(f"decoder/up{n}", "ResizeNearestNeighbor", [h, g.const(f"decoder/up{n}/size", np.array([cur, cur]))],
                     {"align_corners": {"b": False}, "half_pixel_centers": {"b": False}})
            i += 1
        elif isinstance(layer, nn.Conv2d) and i + 1 < len(layers) and isinstance(layers[i + 1], nn.BatchNorm2d):
            w, b = fold(layer, layers[i + 1])
            h = g.relu(f"decoder/relu{n}", g.conv(f"decoder/conv{n}", h, w, b, padding=1))
            i, n = i + 3, n + 1
        elif isinstance(layer, nn.Conv2d):
            h = g.conv("decoder/out", h, _np(layer.weight), _np(layer.bias), padding=1)
            i += 1
        elif isinstance(layer, nn.Tanh):
            g.op("reconstruction", "Tanh", [h])
            i += 1
        else:
            raise ValueError(f"unexpected decoder layer {layer}")
    g.write(folder, float16)
    return {"inputNode": "input", "outputNode": "reconstruction", "latentNode": "latent"}


def parity_fixture(model_fn, inputs, normalise, outputs):
    """Runs PyTorch on pixel images [N, S, S] in [0, 1]; returns a JSON-able record.

    The pixels are rounded to the 6 decimals the fixture stores before the model sees them: the
    outputs must be those of the stored pixels, or a steep model fails the 1e-4 parity test on the
    rounding alone."""
    stored = np.asarray(inputs, dtype=np.float64).round(6)
    with torch.no_grad():
        x = normalise(torch.from_numpy(stored).float().unsqueeze(1))
        results = model_fn(x)
    record = {"pixels": stored.reshape(len(stored), -1).tolist()}
    for key, value in zip(outputs, results):
        record[key] = value.detach().numpy().reshape(len(inputs), -1).round(7).tolist()
    return record
