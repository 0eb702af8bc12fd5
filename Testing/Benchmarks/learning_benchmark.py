#!/usr/bin/env python3
"""PyTorch peer of tesseraLearningBenchmark: the same U-Net as tessera::MakeNetwork builds
(Modules/Learning/src/tesseraUNet.cxx) defined here layer for layer, the same input (ATen's
generator seeded 0), the same intra-op thread count, the same steps timed:
  - training step: zero_grad, forward, cross-entropy, backward, Adam step (lr 1e-3);
  - inference: eval mode, torch.no_grad(), forward only.
Prints CSV rows impl,case,step,threads,batch,size,best_s,median_s,throughput,checksum,parameters,cpu_best_s
(cpu_best_s: the least process CPU time of a timed step, time.process_time)."""
import argparse
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class UNet(nn.Module):
    """tessera::UNetImpl: level l has base·2^l maps; block = 2 × (conv3 (bias iff no batch norm),
    norm, ReLU); max-pool 2 down; transposed conv 2 stride 2 up; cat(skip, up); 1×1 head."""

    def __init__(self, dim, in_channels, classes, base, depth, normalization="batch"):
        super().__init__()
        Conv = nn.Conv2d if dim == 2 else nn.Conv3d
        ConvT = nn.ConvTranspose2d if dim == 2 else nn.ConvTranspose3d
        BN = nn.BatchNorm2d if dim == 2 else nn.BatchNorm3d
        self.pool = F.max_pool2d if dim == 2 else F.max_pool3d

        def block(cin, cout):
            layers = []
            for i in range(2):
                layers.append(Conv(cin if i == 0 else cout, cout, 3, 1, 1, bias=normalization != "batch"))
                if normalization == "batch":
                    layers.append(BN(cout))
                layers.append(nn.ReLU(inplace=True))
            return nn.Sequential(*layers)

        self.encoder = nn.ModuleList(
            [block(in_channels if l == 0 else base << (l - 1), base << l) for l in range(depth + 1)])
        self.up = nn.ModuleList([ConvT(base << (l + 1), base << l, 2, stride=2) for l in reversed(range(depth))])
        self.decoder = nn.ModuleList([block(2 * (base << l), base << l) for l in reversed(range(depth))])
        self.head = Conv(base, classes, 1)

    def forward(self, x):
        skips = []
        for l, block in enumerate(self.encoder):
            if l > 0:
                x = self.pool(x, 2)
            x = block(x)
            skips.append(x)
        skips.pop()
        for up, block in zip(self.up, self.decoder):
            x = torch.cat([skips.pop(), up(x)], 1)
            x = block(x)
        return self.head(x)


CASES = [  # name, dim, base, depth, size, train batch, inference batch (as tesseraLearningBenchmark)
    ("2D 512x512", 2, 16, 4, (512, 512), 1, 1),
    ("3D 128^3", 3, 8, 3, (128, 128, 128), 1, 1),
]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--only", default="")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    classes = 4
    for name, dim, base, depth, size, train_batch, infer_batch in CASES:
        if a.only and not name.startswith(a.only):
            continue
        torch.manual_seed(0)
        net = UNet(dim, 1, classes, base, depth)
        parameters = sum(q.numel() for q in net.parameters())
        torch.manual_seed(0)
        x = torch.randn(train_batch, 1, *size)
        target = torch.randint(0, classes, (train_batch, *size), dtype=torch.long)
        checksum = x.sum().item() + target.sum().item()
        size_text = "x".join(map(str, size))

        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        times, cpu = [], []
        for r in range(a.warmup + a.repeats):
            c0, t0 = time.process_time(), time.perf_counter()
            opt.zero_grad()
            loss = F.cross_entropy(net(x), target)
            loss.backward()
            opt.step()
            t = time.perf_counter() - t0
            if r >= a.warmup:
                times.append(t)
                cpu.append(time.process_time() - c0)
        times.sort()
        best, median = times[0], times[len(times) // 2]
        print(f"PyTorch (Python),{name},train step,{a.threads},{train_batch},{size_text},{best},{median},"
              f"{train_batch / best},{checksum},{parameters},{min(cpu)}", flush=True)
        print(f"{name} train step: best {best:.3f} s, median {median:.3f} s", file=sys.stderr)

        net.eval()
        torch.manual_seed(1)
        xi = torch.randn(infer_batch, 1, *size)
        times, cpu = [], []
        with torch.no_grad():
            for r in range(a.warmup + a.repeats):
                c0, t0 = time.process_time(), time.perf_counter()
                net(xi)
                t = time.perf_counter() - t0
                if r >= a.warmup:
                    times.append(t)
                    cpu.append(time.process_time() - c0)
        times.sort()
        best, median = times[0], times[len(times) // 2]
        print(f"PyTorch (Python),{name},inference,{a.threads},{infer_batch},{size_text},{best},{median},"
              f"{infer_batch / best},{xi.sum().item()},{parameters},{min(cpu)}", flush=True)
        print(f"{name} inference: best {best:.3f} s, median {median:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
