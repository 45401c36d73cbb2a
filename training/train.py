"""Trains one bundle's networks from the shared data and exports them to models/<bundle>/.

    /usr/bin/python3 training/train.py <bundle> [--part classifier|ood|all] [--epochs N] [--data DIR]

Logs to training/runs/<bundle>/<part>.log and checkpoints every epoch; run the same command again
after an interruption and it resumes where it stopped. Uses a GPU when one is present.
Splits are by patient; the validation split selects the checkpoint. Operating points and every
reported metric are computed afterwards by the project's TypeScript evaluation (npm run evaluate).
"""
import argparse
import csv
import hashlib
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from export import export_densenet, export_vae, float16_exact, parity_fixture  # noqa: E402
from models import ConvVAE, densenet_grey  # noqa: E402
from init_from import folder_sha256, freeze_batchnorm, load_exported_densenet  # noqa: E402
from ood_ssim import ssim  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NIH_FINDINGS = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
                "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"]

# Each bundle: where its images are, how they are labelled and split, and the training budget.
BUNDLES = {
    "pediatric-pneumonia": {
        "labels": ["Pneumonia"], "size": 224, "epochs": 10, "ood_epochs": 10, "batch": 16, "lr": 1e-3,
        "ood_sources": ["cxr-peds"],
    },
    "nih-chestxray14": {
        "labels": NIH_FINDINGS, "size": 224, "epochs": 16, "ood_epochs": 8, "batch": 16, "lr": 1e-3,
        "ood_sources": ["cxr-nih", "cxr-adult"],
    },
}


def log(path, message):
    line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}"
    print(line, flush=True)
    with open(path, "a") as f:
        f.write(line + "\n")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def patient_in_validation(patient, share=0.1):
    """Deterministic patient-level split: the same patient always lands on the same side."""
    return int(hashlib.sha256(patient.encode()).hexdigest(), 16) % 1000 < share * 1000


def rows_for(bundle, data, part):
    """(relative path under data, label vector, split) for every image of the bundle's data."""
    if bundle == "pediatric-pneumonia":
        rows = read_csv(os.path.join(data, "cxr-peds/labels.csv"))
        out = []
        for r in rows:
            split = "test" if r["split"] == "test" else ("val" if patient_in_validation(r["patient"]) else "train")
            out.append((os.path.join("cxr-peds", r["path"]), [1.0 if r["label"] == "PNEUMONIA" else 0.0], split))
        return out
    rows = read_csv(os.path.join(data, "cxr-nih/labels.csv"))
    out = [(os.path.join("cxr-nih", r["path"]), [float(r[f]) for f in NIH_FINDINGS], r["split"]) for r in rows]
    if part == "ood":
        # The adult OOD model also learns from the unlabelled adult set (its own 10 % held out).
        for r in read_csv(os.path.join(data, "cxr-adult/labels.csv")):
            out.append((os.path.join("cxr-adult", r["path"]), [], "val" if patient_in_validation(r["path"]) else "train"))
    return out


def squashed_flags(rows, data):
    """1 for images an earlier publisher stretched to 224x224 (their width squeezed: most originals
    are landscape, aspect 1.0-1.8), 0 for those whose geometry was kept (all of the official test
    split). Read from cxr-peds' original_size column; 0 where there is none."""
    sizes = {}
    path = os.path.join(data, "cxr-peds/labels.csv")
    if os.path.exists(path):
        sizes = {os.path.join("cxr-peds", r["path"]): r.get("original_size", "") for r in read_csv(path)}
    return torch.tensor([1.0 if sizes.get(p) == "224x224" else 0.0 for p, _, _ in rows])


def source_resolutions(rows, data):
    """Each row's source resolution (cxr-nih's resolution column: 64 for the 64 px source), 0 where
    unknown. Pooled AUCs over mixed sources reward telling blurry upscaled images from sharp ones."""
    path = os.path.join(data, "cxr-nih/labels.csv")
    known = {}
    if os.path.exists(path):
        known = {os.path.join("cxr-nih", r["path"]): float(r.get("resolution") or 0) for r in read_csv(path)}
    return torch.tensor([known.get(p, 0.0) for p, _, _ in rows])


def degrade_sharp(x, resolutions, share, generator):
    """With probability `share`, a sharp image (source resolution 0 or >= its size) is reduced to the
    lowest source resolution present and brought back with the pipeline's own bilinear upsampling, so
    blur carries no label information: the model cannot win by telling sources apart."""
    low = resolutions[(resolutions > 0) & (resolutions < x.shape[-1])]
    if share <= 0 or len(low) == 0:
        return x
    target = int(low.min())
    sharp = (resolutions == 0) | (resolutions >= x.shape[-1])
    pick = sharp & (torch.rand(len(x), generator=generator) < share)
    if pick.any():
        small = F.interpolate(x[pick], size=(target, target), mode="area")
        x = x.clone()
        x[pick] = F.interpolate(small, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return x


def preprocess(path, size):
    """Mirrors src/pipeline/preprocess.ts: grey (PIL "L" = BT.601), centre square, k x k area
    reduction with k = floor(side / size) when k >= 2, then bilinear with half-pixel centres."""
    image = Image.open(path).convert("L")
    x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)[None, None]
    h, w = x.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    k = max(1, side // size)
    crop = k * (side // k)
    x = x[..., top:top + crop, left:left + crop]
    if k > 1:
        x = F.avg_pool2d(x, k)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x[0]


def load_images(rows, data, size, cache):
    """All images of a split, preprocessed once and cached as one tensor file."""
    if os.path.exists(cache):
        return torch.load(cache)
    images = torch.stack([preprocess(os.path.join(data, p), size) for p, _, _ in rows])
    torch.save(images, cache)
    return images


def augment(x, generator, mode="light", squashed=None):
    """Light (default): small random affine (rotation +-7 deg, scale 0.9-1.1, shift +-6 %) and
    contrast/brightness jitter: radiographs vary in positioning and exposure, not in orientation.
    Strong (--augment strong): rotation +-10 deg, zoom 0.9-1.2, shift +-6 %, a random horizontal
    stretch of 1.0-1.8 for images that were squeezed to a square by their publisher (`squashed`), so
    that they also appear with the geometry of a centre crop (as the official test split does), and
    +-10 % aspect jitter for the others; gamma 0.75-1.33, contrast +-15 %, brightness +-8 %,
    Gaussian noise (sigma up to 0.02) on half the images. Geometry (--augment geometry): the strong
    geometry with the light exposure jitter and no noise, for the OOD autoencoder, which must
    reconstruct test-geometry images sharply rather than learn to blur noise away."""
    n = x.shape[0]
    strong = mode != "light"
    u = lambda *shape: torch.rand(*shape, generator=generator) * 2 - 1  # noqa: E731
    if not strong:
        angle, scale, shift = u(n) * (7 * np.pi / 180), 1 + u(n) * 0.1, u(n, 2) * 0.12
        sx = sy = scale
    else:
        angle, shift = u(n) * (10 * np.pi / 180), u(n, 2) * 0.12
        zoom = 1.05 + u(n) * 0.15
        squashed = torch.zeros(n) if squashed is None else squashed
        stretch = torch.where(squashed > 0.5, 1.4 + u(n) * 0.4, 1 + u(n) * 0.1)
        sx, sy = zoom * stretch, zoom
    cos, sin = torch.cos(angle), torch.sin(angle)
    # output (u, v) samples input R(angle) diag(1/sx, 1/sy) (u, v) + shift
    theta = torch.stack([torch.stack([cos / sx, -sin / sy, shift[:, 0]], 1), torch.stack([sin / sx, cos / sy, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if mode != "strong":
        gain = 1 + u(n, 1, 1, 1) * 0.1
        bias = u(n, 1, 1, 1) * 0.05
        return (x * gain + bias).clamp(0, 1)
    gamma = torch.exp(u(n, 1, 1, 1) * 0.285)
    x = x.clamp(1e-4, 1) ** gamma
    x = (x - 0.5) * (1 + u(n, 1, 1, 1) * 0.15) + 0.5 + u(n, 1, 1, 1) * 0.08
    noisy = (torch.rand(n, 1, 1, 1, generator=generator) < 0.5).float()
    x = x + noisy * torch.rand(n, 1, 1, 1, generator=generator) * 0.02 * torch.randn(x.shape, generator=generator)
    return x.clamp(0, 1)


def auc(scores, labels):
    """Rank AUC with ties counted half; NaN without both classes."""
    scores, labels = np.asarray(scores, float), np.asarray(labels) > 0.5
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def sha256_of(rows, data):
    digest = hashlib.sha256()
    for p, _, _ in sorted(rows):
        with open(os.path.join(data, p), "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def symmetric(x):
    return x * 2 - 1


def train(bundle, part, args):
    config = BUNDLES[bundle]
    data = os.path.abspath(args.data)
    run = os.path.join(args.workdir, "training/runs", bundle)
    os.makedirs(run, exist_ok=True)
    logfile = os.path.join(run, f"{part}.log")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    size = (args.size or config["size"]) if part == "classifier" else 64
    rows = rows_for(bundle, data, part)
    train_rows = [r for r in rows if r[2] == "train"][:args.limit]
    val_rows = [r for r in rows if r[2] == "val"][:args.limit]
    log(logfile, f"{bundle}/{part}: {len(train_rows)} train, {len(val_rows)} val images at {size}px on {device} "
                 f"({torch.get_num_threads()} threads, torch {torch.__version__})")
    x_train = load_images(train_rows, data, size, os.path.join(run, f"{part}-train-{size}.pt"))
    x_val = load_images(val_rows, data, size, os.path.join(run, f"{part}-val-{size}.pt"))
    y_train = torch.tensor([r[1] for r in train_rows]) if part == "classifier" else None
    y_val = np.array([r[1] for r in val_rows]) if part == "classifier" else None
    squashed = squashed_flags(train_rows, data)
    resolutions = source_resolutions(train_rows, data)

    init = None
    if part == "classifier":
        model = densenet_grey(len(config["labels"]))
        epochs = args.epochs or config["epochs"]
        if args.init_from:
            # Fine-tuning an exported bundle (e.g. the 128 px one at 224 px): its batch-norms come back
            # as fixed affines and stay frozen (see init_from.py).
            load_exported_densenet(model, args.init_from)
            init = {"folder": os.path.relpath(os.path.abspath(args.init_from), ROOT), "sha256": folder_sha256(args.init_from)}
            try:
                with open(os.path.join(os.path.dirname(os.path.abspath(args.init_from)), "classifier-training.json")) as f:
                    earlier = json.load(f)["training"]
                init.update({"inputSize": earlier.get("inputSize"), "command": earlier.get("command"),
                             "epochs": earlier.get("epochs"), "wallSeconds": earlier.get("wallSeconds"),
                             "bestValidation": earlier.get("bestValidation")})
            except (OSError, KeyError, ValueError):
                pass
            log(logfile, f"initialised from {init['folder']} (sha256 {init['sha256'][:12]}), batch-norms frozen")
    else:
        model = ConvVAE(latent=args.latent, width=32)
        epochs = args.epochs or config["ood_epochs"]
    model.to(device)
    batch = config["batch"] if part == "classifier" else 64
    steps_per_epoch = max(1, len(train_rows) // batch)
    lr = args.lr or config["lr"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15)
    generator = torch.Generator().manual_seed(0)
    state = {"epoch": 0, "best": -float("inf"), "seconds": 0.0, "history": []}
    checkpoint = os.path.join(run, f"{part}-checkpoint.pt")
    # What makes a run this run: a checkpoint of another (other epochs, rate, size, start...) is never
    # resumed as if it were this one (its schedule, order and best differ).
    settings = {"epochs": epochs, "lr": lr, "size": size, "batch": batch, "augment": args.augment,
                "init": init and init["sha256"], "degradeSharp": args.degrade_sharp, "labelSmoothing": args.label_smoothing,
                "limit": args.limit, "images": [len(train_rows), len(val_rows)]}
    if part == "ood":
        settings.update({"ssimWeight": args.ssim_weight, "klWeight": args.kl_weight, "latent": args.latent})
    if args.fresh:
        for name in (f"{part}-checkpoint.pt", f"{part}-best.pt"):
            if os.path.exists(os.path.join(run, name)):
                os.remove(os.path.join(run, name))
        log(logfile, "--fresh: earlier checkpoints of this part removed")
    if os.path.exists(checkpoint):
        saved = torch.load(checkpoint)
        before = saved["state"].get("settings")
        if before is not None and before != settings and not args.export_only:
            differ = ", ".join(f"{k} {before.get(k)!r} -> {settings.get(k)!r}" for k in sorted(set(before) | set(settings)) if before.get(k) != settings.get(k))
            raise SystemExit(f"{checkpoint} is a checkpoint of another run ({differ}). Resume that run with its own "
                             f"options, or start this one with --fresh (removes it) or another --workdir.")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        generator.set_state(saved["generator"])
        state = saved["state"]
        init = state.get("init", init)  # the record of the start, even if that folder changed since
        where = f"step {state['partial']['step']} of epoch {state['epoch'] + 1}" if state.get("partial") else f"epoch {state['epoch']}"
        log(logfile, f"resumed after {where} (best {state['best']:.4f})")

    state["init"] = init
    state["settings"] = settings
    for epoch in range(state["epoch"], 0 if args.export_only else epochs):
        state["hardware"] = hardware()  # what trained it, whatever later re-exports run on
        start = time.time()
        model.train()
        if init:
            freeze_batchnorm(model)
        partial = state.pop("partial", None)
        if partial:
            # Resuming inside an epoch (a CPU epoch at 224 px takes about half an hour): the same
            # order, the same generator state, so the run is the one that would have happened.
            order, total, first = partial["order"], partial["total"], partial["step"]
            start -= partial["seconds"]
        else:
            order = torch.randperm(len(train_rows), generator=generator)
            total, first = 0.0, 0
        for step in range(first, steps_per_epoch):
            if args.checkpoint_steps and step > first and step % args.checkpoint_steps == 0:
                state["partial"] = {"order": order, "total": total, "step": step, "seconds": time.time() - start}
                save_checkpoint(checkpoint, model, optimizer, scheduler, generator, state)
                del state["partial"]
            index = order[step * batch:(step + 1) * batch]
            x = x_train[index]
            if args.degrade_sharp:
                x = degrade_sharp(x, resolutions[index], args.degrade_sharp, generator)
            x = augment(x, generator, args.augment, squashed[index]).to(device)
            if part == "classifier":
                target = y_train[index].to(device)
                if args.label_smoothing:
                    target = target * (1 - args.label_smoothing) + 0.5 * args.label_smoothing
                loss = F.binary_cross_entropy_with_logits(model(symmetric(x)), target)
            else:
                reconstruction, mu, logvar = model(symmetric(x))
                kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu ** 2 - logvar.exp(), 1))
                loss = F.l1_loss(reconstruction, symmetric(x)) + args.kl_weight * kl
                if args.ssim_weight:
                    # 1 - SSIM in pixel scale, as the gate scores it (src/pipeline/ssim.ts)
                    loss = loss + args.ssim_weight * (1 - ssim(x, reconstruction * 0.5 + 0.5).mean())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item()
        model.eval()
        with torch.no_grad():
            if part == "classifier":
                out = torch.cat([model(symmetric(x_val[i:i + 64].to(device))).cpu() for i in range(0, len(val_rows), 64)]).numpy()
                aucs = [auc(out[:, c], y_val[:, c]) for c in range(out.shape[1])]
                score = float(np.nanmean(aucs))
                note = f"val mean AUC {score:.4f}"
            else:
                recon = torch.cat([model(symmetric(x_val[i:i + 128].to(device)))[0].cpu() for i in range(0, len(val_rows), 128)])
                val_l1 = float((recon - symmetric(x_val)).abs().mean())
                val_ssim = float(ssim(x_val, (recon * 0.5 + 0.5).clamp(0, 1)).mean())
                score = val_ssim if args.ssim_weight else -val_l1
                note = f"val L1 {val_l1:.4f} SSIM {val_ssim:.4f}"
        state["seconds"] += time.time() - start
        state["epoch"] = epoch + 1
        state["history"].append({"epoch": epoch + 1, "loss": total / steps_per_epoch, "score": score})
        best_path = os.path.join(run, f"{part}-best.pt")
        # NaN (no positives in a tiny smoke-test split) still leaves a model to export.
        if score > state["best"] or (np.isnan(score) and not os.path.exists(best_path)):
            state["best"] = max(score, state["best"]) if not np.isnan(score) else state["best"]
            torch.save(model.state_dict(), best_path)
        save_checkpoint(checkpoint, model, optimizer, scheduler, generator, state)
        log(logfile, f"epoch {epoch + 1}/{epochs} loss {total / steps_per_epoch:.4f} {note} ({time.time() - start:.0f} s)")

    model.load_state_dict(torch.load(os.path.join(run, f"{part}-best.pt")))
    model.eval().cpu()
    out = os.path.join(args.workdir, "models", bundle)
    training = {
        "command": f"npm run train -- {bundle} --part {part}" + (f" --epochs {args.epochs}" if args.epochs else "")
        + ("".join(f" {o}" for o in options_of(part, args))),
        "data": os.path.relpath(data, ROOT), "dataSha256": sha256_of(train_rows + val_rows, data),
        "images": {"train": len(train_rows), "val": len(val_rows)}, "epochs": epochs, "inputSize": size,
        "wallSeconds": round(state["seconds"]), "hardware": state.get("hardware") or previous_hardware(out, part) or hardware(),
        "torch": torch.__version__, "seed": 0, "weights": "float32" if args.float32 else "float16", "selectedBy": "best validation " + ("mean AUC" if part == "classifier" else "SSIM" if args.ssim_weight else "L1"),
        "bestValidation": state["best"] if part == "classifier" or args.ssim_weight else -state["best"], "history": state["history"],
    }
    if init:
        training["initialisedFrom"] = init
    # float16 halves the bundle (DenseNet-121: 28 -> 14 MB). The model is rounded in PyTorch first,
    # so the parity fixture is the shipped model's output; the rounding's own effect is recorded.
    deployed = model if args.float32 else float16_exact(model)
    sample = x_val[:256]
    with torch.no_grad():
        if part == "classifier":
            before, after = torch.sigmoid(model(symmetric(sample))), torch.sigmoid(deployed(symmetric(sample)))
            change = {"maxProbabilityChange": float((before - after).abs().max())}
        else:
            def gate_ssim(m):
                return ssim(sample, (m(symmetric(sample))[0] * 0.5 + 0.5).clamp(0, 1))
            change = {"maxSsimChange": float((gate_ssim(model) - gate_ssim(deployed)).abs().max())}
    training["float16"] = None if args.float32 else {"validationImages": len(sample), **change}
    if part == "classifier":
        nodes = export_densenet(deployed, size, os.path.join(out, "classifier"), float16=not args.float32)
        fixture = parity_fixture(lambda x: (deployed(x), torch.sigmoid(deployed(x))), x_val[:3, 0].numpy(), symmetric, ["logits", "probabilities"])
    else:
        nodes = export_vae(deployed, os.path.join(out, "ood"), float16=not args.float32)
        fixture = parity_fixture(lambda x: (deployed(x)[0], deployed(x)[1]), x_val[:2, 0].numpy(), symmetric, ["reconstruction", "latent"])
    with open(os.path.join(out, f"{part}-parity.json"), "w") as f:
        json.dump(fixture, f)
    with open(os.path.join(out, f"{part}-training.json"), "w") as f:
        # Strict JSON: a score that could not be computed (NaN, or no best yet) is null, not NaN/-Infinity.
        json.dump(finite_json({"nodes": nodes, "labels": config["labels"], "training": training}), f, indent=2, allow_nan=False)
    log(logfile, f"exported to {out}")


def finite_json(value):
    """The value with every non-finite float replaced by None (JSON has no NaN or Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


def save_checkpoint(path, model, optimizer, scheduler, generator, state):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "generator": generator.get_state(), "state": state}, path + ".tmp")
    os.replace(path + ".tmp", path)  # never a half-written checkpoint


def hardware():
    threads = torch.get_num_threads()
    device = "GPU " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU, {threads} thread{'s' if threads > 1 else ''}"
    return f"{platform.processor() or platform.machine()}, {device}"


def previous_hardware(out, part):
    """The hardware in an earlier export's record: checkpoints from before the state kept it."""
    try:
        with open(os.path.join(out, f"{part}-training.json")) as f:
            return json.load(f)["training"].get("hardware")
    except (OSError, KeyError, ValueError):
        return None


def options_of(part, args):
    """The non-default training options of a part, as command-line flags (recorded in the card)."""
    out = []
    if part == "classifier":
        if args.augment != "light":
            out.append(f"--augment {args.augment}")
        if args.label_smoothing:
            out.append(f"--label-smoothing {args.label_smoothing:g}")
        if args.size:
            out.append(f"--size {args.size}")
        if args.init_from:
            out.append(f"--init-from {os.path.relpath(os.path.abspath(args.init_from), ROOT)}")
        if args.lr:
            out.append(f"--lr {args.lr:g}")
        if args.degrade_sharp:
            out.append(f"--degrade-sharp {args.degrade_sharp:g}")
    else:
        if args.augment != "light":
            out.append(f"--augment {args.augment}")
        if args.ssim_weight:
            out.append(f"--ssim-weight {args.ssim_weight:g}")
        if args.kl_weight != 1e-4:
            out.append(f"--kl-weight {args.kl_weight:g}")
        if args.latent != 128:
            out.append(f"--latent {args.latent}")
    if args.float32:
        out.append("--float32")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", choices=sorted(BUNDLES))
    parser.add_argument("--part", choices=["classifier", "ood", "all"], default="all")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--data", default=os.environ.get("CXR_DATA", os.path.join(ROOT, "../shared/data")))
    parser.add_argument("--export-only", action="store_true", help="skip training: export the best checkpoint again")
    parser.add_argument("--float32", action="store_true", help="export float32 weights (default float16: half the size, the model rounded in PyTorch before export)")
    parser.add_argument("--augment", choices=["light", "strong", "geometry"], default="light",
                        help="augmentation (see augment()): light (default), strong, or geometry (strong geometry, light exposure, no noise)")
    parser.add_argument("--ssim-weight", type=float, default=0.0,
                        help="OOD autoencoder: add this weight x (1 - SSIM) to the L1 loss and select by validation SSIM")
    parser.add_argument("--kl-weight", type=float, default=1e-4, help="OOD autoencoder: weight of the KL term")
    parser.add_argument("--latent", type=int, default=128, help="OOD autoencoder: latent size")
    parser.add_argument("--label-smoothing", type=float, default=0.0, help="classifier targets pulled toward 0.5 by this share")
    parser.add_argument("--size", type=int, help="classifier input size (default 224: DenseNet-121's 7 x 7 CAM grid, as Chester and CheXNet)")
    parser.add_argument("--checkpoint-steps", type=int, default=50, help="also checkpoint inside an epoch every N steps (0: only at epoch ends)")
    parser.add_argument("--init-from", help="classifier: start from an exported classifier folder (models/<bundle>/classifier), batch-norms frozen")
    parser.add_argument("--lr", type=float, help="peak learning rate of the one-cycle schedule (default: the bundle's)")
    parser.add_argument("--degrade-sharp", type=float, default=0.0, help="classifier: share of sharp images reduced to the lowest source resolution and upsampled back, each step (mixed-resolution data)")
    parser.add_argument("--fresh", action="store_true", help="remove this part's checkpoints in training/runs and start over (a checkpoint of other options is otherwise refused)")
    parser.add_argument("--limit", type=int, help="use only the first N images of each split (smoke tests)")
    parser.add_argument("--workdir", default=ROOT, help="where training/runs and models go (smoke tests)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TRAIN_THREADS", "2")))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for part in (["classifier", "ood"] if args.part == "all" else [args.part]):
        train(args.bundle, part, args)
