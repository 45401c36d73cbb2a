"""SSIM of src/pipeline/ssim.ts in PyTorch (11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, data
range 1, valid windows only), differentiable: the OOD autoencoder's optional loss term and the
quick OOD check (ood_eval.py) use it."""
import torch
import torch.nn.functional as F


def gaussian_window(size=11, sigma=1.5):
    half = (size - 1) / 2
    g = torch.exp(-((torch.arange(size, dtype=torch.float32) - half) ** 2) / (2 * sigma * sigma))
    return g / g.sum()


def ssim(x, y, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """Mean SSIM per image of two [N, 1, H, W] tensors in [0, 1]."""
    g = gaussian_window(size, sigma).to(x.device)
    column, row = g.view(1, 1, size, 1), g.view(1, 1, 1, size)
    n = x.shape[0]
    filtered = F.conv2d(F.conv2d(torch.cat([x, y, x * x, y * y, x * y]), column), row)
    mx, my, mxx, myy, mxy = filtered.split(n)
    vx, vy, cov = mxx - mx * mx, myy - my * my, mxy - mx * my
    c1, c2 = k1 ** 2, k2 ** 2
    value = (2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return value.flatten(1).mean(1)
