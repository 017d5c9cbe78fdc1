"""The same NB201-style supernet as model.mjs, in PyTorch (CPU). Prints one JSON line of median ms/step.
Usage: torch_bench.py '{"kind":"small","batch":64,"threads":1,"steps":20,"warmup":3}'"""
import json, sys, time, statistics
import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)

class NorConv(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))

EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]

class Mixed(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = NorConv(c, c, 1)
        self.c3 = NorConv(c, c, 3)
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    def forward(self, x, w):  # w: [5] none, skip, c1, c3, pool; 'none' skipped
        return w[1] * x + w[2] * self.c1(x) + w[3] * self.c3(x) + w[4] * self.pool(x)

class Cell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ops = nn.ModuleList([Mixed(c) for _ in EDGES])
    def forward(self, x, soft):
        nodes = [x]
        for j in range(1, 4):
            nodes.append(sum(op(nodes[i], soft[e]) for e, ((i, t), op) in enumerate(zip(EDGES, self.ops)) if t == j))
        return nodes[3]

class Res(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = NorConv(cin, cout, 3, 2)
        self.b = NorConv(cout, cout, 3, 1)
        self.sc = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))
    def forward(self, x):
        return self.sc(x) + self.b(self.a(x))

class Net(nn.Module):
    def __init__(self, kind, C=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, C, 3, 1, 1, bias=False), nn.BatchNorm2d(C))
        widths = [C] if kind == "small" else [C, 2 * C, 4 * C]
        per = 1 if kind == "small" else 2
        self.blocks = nn.ModuleList()
        for s, c in enumerate(widths):
            if s > 0:
                self.blocks.append(Res(widths[s - 1], c))
            for _ in range(per):
                self.blocks.append(Cell(c))
        self.alpha = nn.Parameter(1e-3 * torch.randn(6, 5))
        self.fc = nn.Linear(widths[-1], 10)
    def forward(self, x):
        soft = F.softmax(self.alpha, dim=-1)
        h = self.stem(x)
        for b in self.blocks:
            h = b(h, soft) if isinstance(b, Cell) else b(h)
        return self.fc(h.mean((2, 3)))

net = Net(cfg["kind"])
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
B = cfg["batch"]
x = torch.randn(B, 1, 28, 28)
y = torch.randint(0, 10, (B,))

def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    return loss.item()

for _ in range(cfg.get("warmup", 3)):
    step()
times = []
for _ in range(cfg["steps"]):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"median_ms": statistics.median(times), "threads": torch.get_num_threads(),
                  "params": sum(p.numel() for p in net.parameters()), "torch": torch.__version__}))
