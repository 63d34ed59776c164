"""MKD's official training loop and evaluation, reproduced from ../shared/design/METHODS.md in PyTorch: the reference
the README's "MKD on MT-256" compares KD-Edge's port with. Not part of the test suite; needs numpy and torch (a GPU if
there is one), and for `pack` Debian's python3-onnx and python3-pil.

  python3 mkd_reference.py pack --root DIR [--size 128]   MT-256 at 128 px (PIL bilinear, [0, 1]) and the teacher's
                                                         weights into DIR (about 28 MB), e.g. to carry to a GPU machine
  python3 mkd_reference.py train --root DIR --seeds 0 1 2 --epochs 30 [--fp32]
                                                         official loop: cloner [16,16|16,64|16,16,128|16,16,256],
                                                         Adam 1e-3, batch 64, lambda 0.5; image and pixel AUROC,
                                                         guided and vanilla
  python3 mkd_reference.py eval-ours CLONER.npz --root DIR   the official evaluation of KD-Edge's exported cloner
                                                         (its student.onnx initializers saved with numpy.savez)
"""
import argparse, json, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

DEV = "cuda" if torch.cuda.is_available() else "cpu"
LAMBDA = 0.5
CFG = [16, 16, "M", 16, 64, "M", 16, 16, 128, "M", 16, 16, 256, "M"]


def pack(root, size):
    import os
    import onnx
    from onnx import numpy_helper
    from PIL import Image
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../../shared/data/magnetic-tile")
    load = lambda p: np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR))[:, :, 0]
    train = np.stack([load(f"{data}/train/good/{f}") for f in sorted(os.listdir(f"{data}/train/good"))])
    test, masks, types = [], [], []
    for t in sorted(os.listdir(f"{data}/test")):
        for f in sorted(os.listdir(f"{data}/test/{t}")):
            test.append(load(f"{data}/test/{t}/{f}"))
            types.append(t)
            if t == "good":
                masks.append(np.zeros((size, size), bool))
            else:
                m = Image.open(f"{data}/ground_truth/{t}/{f.rsplit('.', 1)[0]}_mask.png").convert("L")
                masks.append(np.asarray(m.resize((size, size), Image.NEAREST)) > 127)
    os.makedirs(root, exist_ok=True)
    np.savez_compressed(f"{root}/data.npz", train=train, test=np.stack(test), masks=np.packbits(np.stack(masks)),
                        types=np.array(types))
    teacher = onnx.load(os.path.join(os.path.dirname(data), "../models/resnet18-imagenet-layer1-3.onnx"))
    np.savez(f"{root}/teacher.npz", **{i.name: numpy_helper.to_array(i) for i in teacher.graph.initializer})


def load_data(root):
    d = np.load(f"{root}/data.npz")
    n, s = d["test"].shape[0], d["test"].shape[1]
    masks = np.unpackbits(d["masks"])[: n * s * s].reshape(n, s, s).astype(bool)
    rgb = lambda a: torch.tensor(a).float().div(255)[:, None].repeat(1, 3, 1, 1)
    return rgb(d["train"]), rgb(d["test"]), masks, d["types"]


class Teacher(nn.Module):
    """ResNet-18 layer1..layer3 with BatchNorm folded into the convs, as the ONNX file holds it."""

    def __init__(self, w):
        super().__init__()
        self.w = {k: torch.tensor(v).to(DEV) for k, v in w.items()}

    @torch.no_grad()
    def forward(self, x):
        w = self.w
        x = F.max_pool2d(F.relu(F.conv2d(x, w["conv1.weight"], w["conv1.bias"], 2, 3)), 3, 2, 1)
        out = []
        for layer, stride in ((1, 1), (2, 2), (3, 2)):
            for b in range(2):
                p, s = f"layer{layer}.{b}", stride if b == 0 else 1
                y = F.relu(F.conv2d(x, w[p + ".conv1.weight"], w[p + ".conv1.bias"], s, 1))
                y = F.conv2d(y, w[p + ".conv2.weight"], w[p + ".conv2.bias"], 1, 1)
                sc = (F.conv2d(x, w[p + ".downsample.0.weight"], w[p + ".downsample.0.bias"], s)
                      if p + ".downsample.0.weight" in w else x)
                x = F.relu(y + sc)
            out.append(x)
        return out


class Cloner(nn.Module):
    """The official make_layers: conv3x3 (no bias), BN + ReLU unless the next entry is 'M' (then ReLU), xavier."""

    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for i, v in enumerate(CFG):
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
                continue
            conv = nn.Conv2d(c, v, 3, padding=1, bias=False)
            nn.init.xavier_uniform_(conv.weight)
            layers += [conv, nn.BatchNorm2d(v), nn.ReLU(inplace=False)] if CFG[i + 1] != "M" else [conv, nn.ReLU(inplace=False)]
            c = v
        self.features = nn.Sequential(*layers)
        pools = [i for i, m in enumerate(self.features) if isinstance(m, nn.MaxPool2d)]
        self.taps = pools[1:]

    def forward(self, x):
        out = []
        for i, m in enumerate(self.features):
            x = m(x)
            if i in self.taps:
                out.append(x)
        return out

    def load_ours(self, w):
        convs = [m for m in self.features if isinstance(m, nn.Conv2d)]
        bns = [m for m in self.features if isinstance(m, nn.BatchNorm2d)]
        names = []
        for b, block in enumerate([[16, 16], [16, 64], [16, 16, 128], [16, 16, 256]]):
            for j in range(len(block)):
                names.append((f"block{b + 1}.conv{j + 1}", f"block{b + 1}.bn{j + 1}" if j < len(block) - 1 else None))
        bi = 0
        with torch.no_grad():
            for conv, (cn, bn) in zip(convs, names):
                conv.weight.copy_(torch.tensor(w[cn + ".weight"]))
                if bn:
                    m = bns[bi]; bi += 1
                    for a, k in (("weight", "weight"), ("bias", "bias"), ("running_mean", "running_mean"), ("running_var", "running_var")):
                        getattr(m, a).copy_(torch.tensor(w[bn + "." + k]))


def mkd_loss(pred, real, per_sample=False):
    sim = nn.CosineSimilarity()
    total = 0
    for p, r in zip(pred, real):
        d = 1 - sim(p.view(p.shape[0], -1), r.view(r.shape[0], -1))
        v = torch.mean((p - r) ** 2, dim=(1, 2, 3)) if per_sample else F.mse_loss(p, r)
        total = total + (d if per_sample else d.mean()) + LAMBDA * v
    return total


def train(seed, epochs, tr, teacher, log):
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = Cloner().to(DEV)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    feats = []
    for i in range(0, len(tr), 64):
        feats.append([f.cpu() for f in teacher(tr[i:i + 64].to(DEV))])
    feats = [torch.cat([f[t] for f in feats]) for t in range(3)]
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(tr))
        total, t0 = 0.0, time.time()
        for i in range(0, len(tr), 64):
            idx = perm[i:i + 64]
            loss = mkd_loss(model(tr[idx].to(DEV)), [f[idx].to(DEV) for f in feats])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        log(f"seed {seed} epoch {epoch + 1} loss {total / len(tr):.4f} ({time.time() - t0:.1f} s)")
    return model


def gaussian(maps, sigma=4):
    """scipy.ndimage.gaussian_filter (reflect border, truncate 4) on each [H, W] map."""
    r = int(4 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) ** 2) / sigma ** 2)
    k = torch.tensor(k / k.sum(), dtype=torch.float64, device=DEV)
    x = torch.tensor(maps, dtype=torch.float64, device=DEV)[:, None]
    idx = lambda n: torch.tensor([(-i - 1) if i < 0 else (2 * n - 1 - i if i >= n else i) for i in range(-r, n + r)], device=DEV)
    h, w = x.shape[2], x.shape[3]
    x = x.index_select(3, idx(w))
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    x = x.index_select(2, idx(h))
    x = F.conv2d(x, k.view(1, 1, -1, 1))
    return x[:, 0].cpu().numpy()


def auroc(s, y):
    s = np.asarray(s, np.float64).ravel(); y = np.asarray(y, bool).ravel()
    _, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
    rank = (np.cumsum(cnt) - (cnt - 1) / 2.0)[inv]
    n1 = y.sum(); n0 = len(y) - n1
    return float((rank[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def evaluate(model, te, masks, types, teacher, guided=True):
    model.eval()
    relus = [m for m in model.features if isinstance(m, nn.ReLU)]
    hooks = []
    if guided:  # the official GuidedBackprop: clamp the ReLUs' input gradients at 0
        hooks = [m.register_full_backward_hook(lambda mod, gin, gout: (torch.clamp(gin[0], min=0.0),)) for m in relus]
    scores, maps = [], []
    for i in range(len(te)):
        x = te[i:i + 1].to(DEV).requires_grad_(True)
        real = teacher(x.detach())
        loss = mkd_loss(model(x), real, per_sample=True)
        model.zero_grad()
        loss.sum().backward()
        scores.append(loss.item())
        g = np.abs(x.grad[0].cpu().numpy()).sum(axis=0)
        lo, hi = g.min(), np.percentile(g, 99)
        maps.append(np.clip((g - lo) / (hi - lo), 0, 1))
    for h in hooks:
        h.remove()
    maps = gaussian(np.stack(maps))
    y = types != "good"
    per_type = {t: auroc(np.array(scores)[(types == t) | (types == "good")], y[(types == t) | (types == "good")])
                for t in sorted(set(types)) if t != "good"}
    return {"imageAuroc": auroc(scores, y), "pixelAuroc": auroc(maps, masks), "perType": per_type}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd"); p.add_argument("arg", nargs="?")
    p.add_argument("--root", required=True); p.add_argument("--seeds", type=int, nargs="*", default=[0])
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--out", default=None); p.add_argument("--limit", type=int, default=0)
    p.add_argument("--fp32", action="store_true", help="no TF32 in cuDNN convolutions, deterministic algorithms")
    a = p.parse_args()
    if a.cmd == "pack":
        pack(a.root, a.size)
        return
    if a.fp32:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    tr, te, masks, types = load_data(a.root)
    if a.limit:
        keep = np.r_[0:a.limit, len(te) - a.limit:len(te)]
        te, masks, types, tr = te[keep], masks[keep], types[keep], tr[:a.limit]
    teacher = Teacher(dict(np.load(f"{a.root}/teacher.npz")))
    results = {}
    log = lambda m: print(m, flush=True)
    if a.cmd == "train":
        for seed in a.seeds:
            model = train(seed, a.epochs, tr, teacher, log)
            results[f"seed{seed}"] = {"guided": evaluate(model, te, masks, types, teacher, True),
                                      "vanilla": evaluate(model, te, masks, types, teacher, False)}
            log(json.dumps(results[f"seed{seed}"]))
    elif a.cmd == "eval-ours":
        model = Cloner().to("cpu"); model.load_ours(dict(np.load(a.arg))); model = model.to(DEV)
        results["ours"] = {"guided": evaluate(model, te, masks, types, teacher, True),
                           "vanilla": evaluate(model, te, masks, types, teacher, False)}
        log(json.dumps(results["ours"]))
    if a.out:
        json.dump(results, open(a.out, "w"), indent=1)


main()
