"""Quick OOD check of a VAE checkpoint in PyTorch, for comparing training variants without the
TF.js evaluation: the scores of src/pipeline/ood.ts (L1, SSIM with an 11x11 Gaussian window,
sigma 1.5, in pixel scale [0, 1] with the reconstruction clipped to [0, 1], and the latent norm)
on the validation split (in distribution) and on the OOD sets, with their AUROCs.

    /usr/bin/python3 training/ood_eval.py <bundle> <checkpoint.pt> [--latent 128] [--width 32] [--test] [--montage PNG]

The committed figures come from `npm run evaluate` (TypeScript); this script only ranks variants.
--test also scores the in-distribution test split (to check this script against the card; never
use it to choose). OOD images are preprocessed once and cached in training/runs/ood-sets-64.pt.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from models import ConvVAE  # noqa: E402
from ood_ssim import ssim  # noqa: E402
from train import ROOT, auc, load_images, preprocess, read_csv, rows_for, squashed_flags  # noqa: E402


def scores(model, images, batch=256):
    """[N, 1, 64, 64] in [0, 1] -> dict of per-image l1, ssim, latent (as src/pipeline/ood.ts)."""
    out = {"l1": [], "ssim": [], "latent": []}
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = images[i:i + batch]
            recon, mu, _ = model(x * 2 - 1)
            recon = (recon * 0.5 + 0.5).clamp(0, 1)
            out["l1"].append((x - recon).abs().flatten(1).mean(1))
            out["ssim"].append(ssim(x, recon))
            out["latent"].append(mu.norm(dim=1))
    return {k: torch.cat(v).numpy() for k, v in out.items()}


HIGHER_IS_OUT = {"l1": True, "ssim": False, "latent": True}


def auroc(inside, outside, higher_is_out):
    values = np.concatenate([inside, outside]) * (1 if higher_is_out else -1)
    return auc(values, np.concatenate([np.zeros(len(inside)), np.ones(len(outside))]))


def ood_sets(data, cache):
    if os.path.exists(cache):
        return torch.load(cache)
    sets = {}
    for r in read_csv(os.path.join(data, "ood/labels.csv")):
        sets.setdefault(r["path"].split("/")[0], []).append(os.path.join(data, "ood", r["path"]))
    out = {name: torch.stack([preprocess(p, 64) for p in paths]) for name, paths in sorted(sets.items())}
    torch.save(out, cache)
    return out


def evaluate(model, bundle, data, test=False):
    model.eval()
    run = os.path.join(ROOT, "training/runs", bundle)
    rows = rows_for(bundle, data, "ood")
    val = load_images([r for r in rows if r[2] == "val"], data, 64, os.path.join(run, "ood-val-64.pt"))
    inside = {"val": scores(model, val)}
    # cxr-peds: most training (and validation) images arrived squeezed to a square, the official
    # test split kept its geometry; the kept-geometry validation images stand in for the test split.
    kept = squashed_flags([r for r in rows if r[2] == "val"], data).numpy() < 0.5
    if 0 < kept.sum() < len(kept):
        inside["val, kept geometry"] = {k: v[kept] for k, v in inside["val"].items()}
    if test:
        test_rows = [r for r in rows_for(bundle, data, "classifier") if r[2] == "test"]
        inside["test"] = scores(model, load_images(test_rows, data, 64, os.path.join(run, "ood-test-64.pt")))
    result = {}
    for name, images in ood_sets(data, os.path.join(ROOT, "training/runs/ood-sets-64.pt")).items():
        s = scores(model, images)
        for split, ins in inside.items():
            result[(split, name)] = {k: auroc(ins[k], s[k], HIGHER_IS_OUT[k]) for k in s}
    for split, ins in inside.items():
        result[(split, "mean ssim")] = float(ins["ssim"].mean())
    return result


def montage(model, bundle, data, path, n=8):
    """A picture of where the SSIM gate fails: rows of (images, reconstructions) for the n
    validation X-rays with the lowest SSIM, then for each OOD set its n images with the highest."""
    from PIL import Image, ImageDraw

    model.eval()
    run = os.path.join(ROOT, "training/runs", bundle)
    rows = rows_for(bundle, data, "ood")
    groups = {"validation, lowest SSIM": load_images([r for r in rows if r[2] == "val"], data, 64, os.path.join(run, "ood-val-64.pt"))}
    for name, images in ood_sets(data, os.path.join(ROOT, "training/runs/ood-sets-64.pt")).items():
        groups[f"{name}, highest SSIM"] = images
    label, cell = 14, 64
    canvas = Image.new("L", (n * cell, len(groups) * (label + 2 * cell)), 255)
    draw = ImageDraw.Draw(canvas)
    for g, (title, images) in enumerate(groups.items()):
        s = scores(model, images)["ssim"]
        pick = np.argsort(s)[:n] if title.startswith("validation") else np.argsort(-s)[:n]
        with torch.no_grad():
            x = images[pick]
            recon = (model(x * 2 - 1)[0] * 0.5 + 0.5).clamp(0, 1)
        top = g * (label + 2 * cell)
        draw.text((2, top + 1), f"{title} (SSIM {s[pick].min():.2f}-{s[pick].max():.2f}): image above, reconstruction below", fill=0)
        for i in range(len(pick)):
            for row, t in enumerate((x[i, 0], recon[i, 0])):
                canvas.paste(Image.fromarray((t.numpy() * 255).round().astype(np.uint8)), (i * cell, top + label + row * cell))
    canvas.save(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle")
    parser.add_argument("checkpoint")
    parser.add_argument("--latent", type=int, default=128)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--test", action="store_true")
    parser.add_argument("--montage", help="also write a PNG of the lowest-SSIM validation and highest-SSIM OOD images with their reconstructions")
    parser.add_argument("--data", default=os.environ.get("CXR_DATA", os.path.join(ROOT, "../shared/data")))
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = ConvVAE(latent=args.latent, width=args.width)
    state = torch.load(args.checkpoint)
    model.load_state_dict(state.get("model", state))
    if args.montage:
        montage(model, args.bundle, os.path.abspath(args.data), args.montage)
    result = evaluate(model, args.bundle, os.path.abspath(args.data), args.test)
    for key, value in result.items():
        print(key, value if isinstance(value, float) else " ".join(f"{k} {v:.4f}" for k, v in value.items()))
