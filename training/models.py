"""The two networks of a bundle, as in the papers: a grey DenseNet-121 with global average pooling
and one dense layer (sigmoid outputs), and a 64x64 convolutional VAE for the OOD gate."""
import torch
import torch.nn as nn
import torchvision


def densenet_grey(num_classes: int, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4):
    """torchvision's DenseNet (DenseNet-121 by default) taking one grey channel. Logits out; the
    sigmoid is applied by the loss in training and by the exported graph."""
    model = torchvision.models.DenseNet(growth_rate=growth_rate, block_config=block_config,
                                        num_init_features=num_init_features, bn_size=bn_size,
                                        num_classes=num_classes)
    model.features.conv0 = nn.Conv2d(1, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)
    return model


class ConvVAE(nn.Module):
    """64x64 grey in [-1, 1] -> latent mean mu (the latent score is ||mu||) -> tanh reconstruction.
    The KL term pulls the latent toward N(0, I), so the distance from the origin means something.
    Decoder upsampling is nearest-neighbour + conv (no transposed convolutions), so the exported
    graph runs at any batch size."""

    def __init__(self, latent=128, width=32, size=64):
        super().__init__()
        self.size = size
        chans = [1, width, width * 2, width * 4, width * 8]
        enc = []
        for a, b in zip(chans[:-1], chans[1:]):
            enc += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.BatchNorm2d(b), nn.LeakyReLU(0.2)]
        self.encoder = nn.Sequential(*enc)
        self.cells = size // 16
        flat = chans[-1] * self.cells * self.cells
        self.mu = nn.Linear(flat, latent)
        self.logvar = nn.Linear(flat, latent)
        self.expand = nn.Linear(latent, flat)
        dec = []
        rev = chans[::-1]
        for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
            last = i == len(rev) - 2
            dec += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(a, b if not last else width, 3, padding=1)]
            dec += [nn.BatchNorm2d(b if not last else width), nn.ReLU()]
        dec += [nn.Conv2d(width, 1, 3, padding=1), nn.Tanh()]
        self.decoder = nn.Sequential(*dec)
        self.top = chans[-1]

    def encode(self, x):
        h = self.encoder(x).flatten(1)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        h = torch.relu(self.expand(z)).view(-1, self.top, self.cells, self.cells)
        return self.decoder(h)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return self.decode(z), mu, logvar
