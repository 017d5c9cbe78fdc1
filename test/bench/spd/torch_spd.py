"""PyTorch (CPU) side of `npm run bench:spd` (run.js). Prints one JSON line.

eig:  torch.linalg.eigh with autograd on the same batch of SPD matrices as the app (float64, as the app's
      Jacobi, and float32): forward = eigh + U log(L) Uᵀ, backward = autograd's eigh gradient.
step: one SPDNetNAS search step (cfg "order": 1 or 2, as darts-second-order.ts) of the app's default SPD space, written after
      src/main/nas/spaces/spd*.ts and strategies/spdnas.ts: stem BiMap → BN, a reduction then a normal cell
      (5 edges, 6 ops each, mixed op = weighted Karcher mean over sparsemax(α), nodes = unweighted Karcher
      means, concat), LogEig → linear head. Spectral functions are one autograd Function with the
      Daleckii–Krein backward and the eigen-gap rule in float64, as the app and the reference code do (autograd
      through eigh gives inf on the identity matrices this network is full of). Step = Adam on α from a
      validation batch, then a training batch's gradient, clipped, with the Stiefel QR step for BiMap weights,
      the SPD exponential step for BN biases and SGD with momentum for the classifier.
Usage: torch_spd.py '{"mode":"eig","file":…,"count":30,"n":20,"threads":1,"steps":20,"warmup":2}'
       torch_spd.py '{"mode":"step","file":…,"labels":…,"n":20,"classes":3,"batch":64,"threads":1,…}'"""
import json, sys, time, statistics
import numpy as np
import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
REG, GAP = 1e-5, 1e-9  # spectral.ts: SPD_REGULARISATION, EIGEN_GAP


def timed(fn):
    times = []
    for i in range(cfg["warmup"] + cfg["steps"]):
        t0 = time.perf_counter()
        fn()
        if i >= cfg["warmup"]:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def eig_bench():
    n, count = cfg["n"], cfg["count"]
    data = torch.from_numpy(np.fromfile(cfg["file"], dtype=np.float64).reshape(count, n, n))
    out = {}
    for dtype in (torch.float64, torch.float32):
        x0 = data.to(dtype)
        g = torch.ones_like(x0)

        def fwd():
            with torch.no_grad():
                lam, u = torch.linalg.eigh(x0)
                (u * lam.log().unsqueeze(-2)) @ u.transpose(-1, -2)

        def fwd_bwd():
            x = x0.clone().requires_grad_(True)
            lam, u = torch.linalg.eigh(x)
            y = (u * lam.log().unsqueeze(-2)) @ u.transpose(-1, -2)
            (y * g).sum().backward()

        key = "float64" if dtype == torch.float64 else "float32"
        out[key] = {"forward_ms": timed(fwd), "forward_backward_ms": timed(fwd_bwd)}
    return out


# --- spectral functions of symmetric matrices (spectral.ts) ---
FUNCS = {
    "log": (torch.log, lambda l: 1 / l, True),
    "exp": (torch.exp, torch.exp, False),
    "sqrt": (torch.sqrt, lambda l: 0.5 / torch.sqrt(l), True),
    "invsqrt": (lambda l: l.rsqrt(), lambda l: -0.5 * l.pow(-1.5), True),
}


def reeig_fn(eps):
    return (lambda l: l.clamp(min=eps), lambda l: (l > eps).to(l.dtype), False)


def pow_fn(t):
    return (lambda l: l.pow(t), lambda l: t * l.pow(t - 1), True)


def eye_like(p):
    return torch.eye(p.shape[-1], dtype=p.dtype).expand_as(p)


def trace(p):
    return p.diagonal(dim1=-2, dim2=-1).sum(-1)[..., None, None]


class Spectral(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, fn):
        f, df, regularise = fn
        p = x.double()
        if regularise:
            p = p + REG * trace(p) * eye_like(p)
        lam, u = torch.linalg.eigh(p)
        fv = f(lam)
        ctx.save_for_backward(lam, u, fv)
        ctx.fn = fn
        return ((u * fv.unsqueeze(-2)) @ u.transpose(-1, -2)).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        lam, u, fv = ctx.saved_tensors
        _, df, regularise = ctx.fn
        g = grad.double()
        m = u.transpose(-1, -2) @ (0.5 * (g + g.transpose(-1, -2))) @ u
        dl = lam.unsqueeze(-1) - lam.unsqueeze(-2)
        close = dl.abs() < GAP * lam.abs().clamp(min=1).unsqueeze(-1)
        k = torch.where(close, df(lam).unsqueeze(-1).expand_as(dl), (fv.unsqueeze(-1) - fv.unsqueeze(-2)) / torch.where(close, torch.ones_like(dl), dl))
        out = u @ (k * m) @ u.transpose(-1, -2)
        if regularise:
            out = out + REG * trace(out) * eye_like(out)
        return out.to(grad.dtype), None


def spec(x, name):
    return Spectral.apply(x, FUNCS[name])


def sym(x):
    return 0.5 * (x + x.transpose(-1, -2))


def sandwich(a, b):
    return sym(a @ b @ a)


def karcher(xs, w, steps):
    """Weighted Karcher mean over the first axis (manifold.ts karcherMean)."""
    m, rest, n = xs.shape[0], xs.shape[1:], xs.shape[-1]
    flat = xs.reshape(m, -1, n, n)
    g = torch.einsum("m,mpij->pij", w, flat)
    for _ in range(steps):
        inv = spec(g, "invsqrt")
        root = sym(g @ inv)
        tangent = torch.einsum("m,mpij->pij", w, spec(sandwich(inv, flat), "log"))
        g = sandwich(root, spec(tangent, "exp"))
    return g.reshape(rest)


def sparsemax(z):
    s, _ = torch.sort(z, dim=-1, descending=True)
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cum = s.cumsum(-1)
    support = (1 + k * s > cum).to(z.dtype)
    size = support.sum(-1, keepdim=True)
    tau = ((cum * support).max(-1, keepdim=True).values - 1) / size
    return (z - tau).clamp(min=0)


# --- the search network (spd-layers.ts, spd-ops.ts, spd.ts) ---
class SpdNet:
    def __init__(self, n, classes, channels=1, cells=2, karcher_steps=1, reeig_eps=1e-4):
        self.weights = []  # (tensor, manifold)
        self.steps, self.eps, self.training, self.update_running = karcher_steps, reeig_eps, True, True
        c = channels
        self.stem = self.chain(self.bimap(1, c, n, n), self.bn(n))
        self.cells = []
        sizes, chans = (n, n), (c, c)
        for i in range(cells):
            kind = "reduce" if i % 2 == 0 else "normal"
            run, out = self.cell(kind, sizes, chans, c)
            self.cells.append((kind, run))
            sizes, chans = (sizes[1], out), (chans[1], 2 * c)
        self.kernel = self.param(torch.randn(chans[1] * sizes[1] ** 2, classes) * 0.05, "euclidean")
        self.bias = self.param(torch.zeros(classes), "euclidean")
        self.alphas = {k: (1e-3 * torch.randn(5, 6)).requires_grad_(True) for k in ("normal", "reduce") if any(t == k for t, _ in self.cells)}

    def param(self, value, manifold):
        value.requires_grad_(True)
        self.weights.append((value, manifold))
        return value

    def bimap(self, cin, cout, n, m):
        w = self.param(torch.linalg.qr(torch.randn(cout, cin, n, m)).Q.contiguous(), "stiefel")
        return lambda x: torch.einsum("oinm,bink,oikl->boml", w, x, w)

    def bn(self, n):
        bias = self.param(torch.eye(n), "spd")
        state = {"running": torch.eye(n, dtype=torch.float64)}

        def run(x):
            b, c = x.shape[:2]
            if self.training:
                mean = karcher(x.reshape(b * c, n, n), torch.full((b * c,), 1 / (b * c)), self.steps)
                centre = spec(mean, "invsqrt")
                if self.update_running:  # running mean ← geodesic(R, G, 0.1) in float64 (spd-layers.ts geodesic64)
                    with torch.no_grad():
                        r = state["running"]
                        root, inv = Spectral.apply(r, pow_fn(0.5)), Spectral.apply(r, pow_fn(-0.5))
                        state["running"] = root @ Spectral.apply(inv @ mean.double() @ inv, pow_fn(0.1)) @ root
            else:
                centre = spec(state["running"].float(), "invsqrt")
            return sandwich(spec(bias, "sqrt"), sandwich(centre, x))

        return run

    def reeig(self, x):
        return Spectral.apply(x, reeig_fn(self.eps))

    @staticmethod
    def chain(*layers):
        def run(x):
            for layer in layers:
                x = layer(x)
            return x

        return run

    def tangent_pool(self, pool):
        def run(x):
            b, c, n = x.shape[:3]
            y = pool(spec(x, "log").reshape(b * c, 1, n, n), 2, 2)
            return spec(y.reshape(b, c, n // 2, n // 2), "exp")

        return run

    def direct_sum(self, c, n, m):
        m1 = m // 2
        m2 = m - m1
        first, second = self.bimap(c, c, n, m1), self.bimap(c, c, n, m2)
        return lambda x: F.pad(first(x), (0, m2, 0, m2)) + F.pad(second(x), (m1, 0, m1, 0))

    def candidate(self, op, c, n):
        m = n // 2
        eye = lambda size: lambda x: torch.eye(size).expand(x.shape[0], x.shape[1], size, size)
        ops = {
            "none_normal": lambda: eye(n),
            "WeightedPooling_normal": lambda: (lambda x: x),  # the mean of one channel (channels = 1)
            "BiMap_0_normal": lambda: self.chain(self.bimap(c, c, n, n), self.bn(n)),
            "BiMap_1_normal": lambda: self.chain(self.bimap(c, c, n, n), self.bn(n), self.reeig),
            "BiMap_2_normal": lambda: self.chain(self.reeig, self.bimap(c, c, n, n), self.bn(n)),
            "Skip_normal": lambda: (lambda x: x),
            "none_reduced": lambda: eye(m),
            "AvgPooling2_reduced": lambda: self.chain(self.tangent_pool(F.avg_pool2d), self.bn(m)),
            "MaxPooling_reduced": lambda: self.chain(self.tangent_pool(F.max_pool2d), self.bn(m)),
            "BiMap_1_reduced": lambda: self.chain(self.reeig, self.bimap(c, c, n, m), self.bn(m)),
            "BiMap_2_reduced": lambda: self.chain(self.bimap(c, c, n, m), self.bn(m), self.reeig),
            "Skip_reduced": lambda: self.direct_sum(c, n, m),
        }
        return ops[op]()

    def cell(self, kind, sizes, chans, c):
        normal = ["none_normal", "WeightedPooling_normal", "BiMap_0_normal", "BiMap_1_normal", "BiMap_2_normal", "Skip_normal"]
        reduced = ["none_reduced", "AvgPooling2_reduced", "MaxPooling_reduced", "BiMap_1_reduced", "BiMap_2_reduced", "Skip_reduced"]
        n = sizes[1]
        pre0 = self.chain(self.reeig, self.bimap(chans[0], c, sizes[0], n), self.bn(n))
        pre1 = self.chain(self.reeig, self.bimap(chans[1], c, n, n), self.bn(n))
        reduction = kind == "reduce"
        out = n // 2 if reduction else n
        edges = [(node, src) for node in range(2) for src in range(node + 2)]
        cands = []
        for node, src in edges:
            names = reduced if reduction and src < 2 else normal
            size = out if reduction and src >= 2 else n
            cands.append([self.candidate(op, c, size) for op in names])

        def run(s0, s1, w):
            states = [pre0(s0), pre1(s1)]
            for node in range(2):
                inputs = []
                for e, (to, src) in enumerate(edges):
                    if to != node:
                        continue
                    kept = [k for k, v in enumerate(w[e].tolist()) if v > 0]
                    outs = [cands[e][k](states[src]) for k in kept]
                    inputs.append(outs[0] if len(outs) == 1 else karcher(torch.stack(outs), w[e][kept], self.steps))
                states.append(karcher(torch.stack(inputs), torch.full((len(inputs),), 1 / len(inputs)), self.steps))
            return torch.cat(states[2:], 1)

        return run, out

    def forward(self, x):
        w = {k: sparsemax(a) for k, a in self.alphas.items()}
        s0 = s1 = self.stem(x)
        for kind, run in self.cells:
            s0, s1 = s1, run(s0, s1, w[kind])
        return spec(s1, "log").reshape(x.shape[0], -1) @ self.kernel + self.bias


def stiefel_step(w, g, lr):
    w64, g64 = w.double(), g.double()
    q, r = torch.linalg.qr(w64 - lr * (g64 - w64 @ g64.transpose(-1, -2) @ w64))
    w.copy_((q * torch.sign(r.diagonal(dim1=-2, dim2=-1)).unsqueeze(-2)).float())


def spd_bias_step(b, g, lr):
    lam, u = torch.linalg.eigh(b.double())
    root = (u * lam.clamp(min=0).sqrt().unsqueeze(-2)) @ u.transpose(-1, -2)
    l2, u2 = torch.linalg.eigh(-lr * root @ sym(g.double()) @ root)
    b.copy_(sym(root @ ((u2 * l2.exp().unsqueeze(-2)) @ u2.transpose(-1, -2)) @ root).float())


def step_bench():
    n, batch = cfg["n"], cfg["batch"]
    x = torch.from_numpy(np.fromfile(cfg["file"], dtype=np.float32).reshape(-1, 1, n, n))
    y = torch.from_numpy(np.fromfile(cfg["labels"], dtype=np.uint8).astype(np.int64))
    perm = torch.randperm(len(y))
    half = len(y) // 2  # trainPortion 0.5
    parts = (perm[:half], perm[half:])
    net = SpdNet(n, cfg["classes"])
    adam = torch.optim.Adam(list(net.alphas.values()), lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    momentum = {id(w): torch.zeros_like(w) for w, m in net.weights if m == "euclidean"}
    lr, clip = 0.025, 5.0

    order = cfg.get("order", 1)

    def grad_or_none(loss, xs):
        return torch.autograd.grad(loss, xs, allow_unused=True)

    def unrolled(ws, alphas, tx, ty, vx, vy):
        """darts-second-order.ts: w' = w − ξ(∇L_train + μm + λw), finite-difference Hessian term, ξ = lr."""
        net.update_running = False
        original = [w.detach().clone() for w in ws]
        g = grad_or_none(F.cross_entropy(net.forward(tx), ty), ws)
        with torch.no_grad():
            for w, gw in zip(ws, g):
                m = momentum.get(id(w))
                w.sub_(lr * ((0.9 * m if m is not None else 0) + (gw if gw is not None else 0) + 3e-4 * w))
        vg = grad_or_none(F.cross_entropy(net.forward(vx), vy), ws + alphas)
        vec = [v if v is not None else torch.zeros_like(w) for v, w in zip(vg[: len(ws)], ws)]
        eps = 0.01 / max(float(torch.sqrt(sum((v.double() ** 2).sum() for v in vec))), 1e-12)

        def perturbed(sign):
            with torch.no_grad():
                for w, o, v in zip(ws, original, vec):
                    w.copy_(o + sign * eps * v)
            return torch.autograd.grad(F.cross_entropy(net.forward(tx), ty), alphas)

        plus, minus = perturbed(1), perturbed(-1)
        with torch.no_grad():
            for w, o in zip(ws, original):
                w.copy_(o)
        net.update_running = True
        return [a - lr * (p - m) / (2 * eps) for a, p, m in zip(vg[len(ws):], plus, minus)]

    def batch_of(part):
        idx = part[torch.randint(len(part), (batch,))]
        return x[idx], y[idx]

    def step():
        tx, ty = batch_of(parts[0])
        vx, vy = batch_of(parts[1])
        alphas = list(net.alphas.values())
        ws = [w for w, _ in net.weights]
        if order == 1:
            ga = torch.autograd.grad(F.cross_entropy(net.forward(vx), vy), alphas)
        else:
            ga = unrolled(ws, alphas, tx, ty, vx, vy)
        for a, g in zip(alphas, ga):
            a.grad = g
        adam.step()
        grads = grad_or_none(F.cross_entropy(net.forward(tx), ty), ws)
        norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads if g is not None))
        scale = min(1.0, clip / float(norm))
        with torch.no_grad():
            for (w, manifold), g in zip(net.weights, grads):
                if g is None:  # an op sparsemax gave weight 0 is not run: no gradient, no step (as the app)
                    continue
                g = g * scale
                if manifold == "stiefel":
                    stiefel_step(w, g, lr)
                elif manifold == "spd":
                    spd_bias_step(w, g, lr)
                else:
                    buf = momentum[id(w)]
                    buf.mul_(0.9).add_(g + 3e-4 * w)
                    w.sub_(lr * buf)

    ms = timed(step)
    params = sum(w.numel() for w, _ in net.weights)
    return {"median_ms": ms, "params": params, "alpha_params": sum(a.numel() for a in net.alphas.values())}


result = eig_bench() if cfg["mode"] == "eig" else step_bench()
print(json.dumps({"torch": torch.__version__, "threads": cfg["threads"], **result}))
