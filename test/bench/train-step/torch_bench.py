"""The app's NB201 supernet (src/main/nas/spaces/nb201.ts) in PyTorch (CPU), layer for layer: stem conv3x3 +
BN (affine); per stage `cellsPerStage` cells (4 nodes, 6 edges, each a softmax(alpha)-weighted sum over
none / skip_connect / nor_conv_1x1 / nor_conv_3x3 / avg_pool_3x3 (count_include_pad=False); nor_conv =
ReLU -> conv (no bias) -> BN(affine=False); one alpha shared by all cells); between stages a residual reduction
block (ReLU-conv3x3(s2)-BN -> ReLU-conv3x3-BN, affine, plus avgpool(2) -> conv1x1 shortcut); last BN (affine)
-> ReLU -> global average pool -> linear. One training step = forward + backward wrt all weights and alpha +
Adam, as run.js does on the tfjs side. Prints one JSON line (median ms/step, param counts).
Usage: torch_bench.py '{"channels":16,"cellsPerStage":2,"stages":3,"classes":10,"batch":64,"threads":1,"steps":10,"warmup":2}'"""
import json, sys, time, statistics
import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)

class ReLUConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, stride, affine):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=False),
                         nn.BatchNorm2d(cout, affine=affine))

EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]  # NB201_EDGES order: edge e -> alpha row e

class Mixed(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = ReLUConvBN(c, c, 1, 1, False)
        self.c3 = ReLUConvBN(c, c, 3, 1, False)
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    def forward(self, x, w):  # w: [5] none, skip, conv1x1, conv3x3, pool; 'none' is zero and skipped
        return x * w[1] + self.c1(x) * w[2] + self.c3(x) * w[3] + self.pool(x) * w[4]

class Cell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.edges = nn.ModuleList([Mixed(c) for _ in EDGES])
    def forward(self, x, soft):
        nodes = [x]
        for to in range(1, 4):
            nodes.append(sum(op(nodes[i], soft[e]) for e, ((i, t), op) in enumerate(zip(EDGES, self.edges)) if t == to))
        return nodes[3]

class ResidualReduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = ReLUConvBN(cin, cout, 3, 2, True)
        self.b = ReLUConvBN(cout, cout, 3, 1, True)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))
    def forward(self, x):
        return self.b(self.a(x)) + self.shortcut(x)

class Net(nn.Module):
    def __init__(self, C, cells_per_stage, stages, in_c, classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_c, C, 3, 1, 1, bias=False), nn.BatchNorm2d(C))
        self.blocks = nn.ModuleList()
        c = C
        for s in range(stages):
            if s > 0:
                self.blocks.append(ResidualReduction(c, 2 * c))
                c *= 2
            for _ in range(cells_per_stage):
                self.blocks.append(Cell(c))
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.classifier = nn.Linear(c, classes)
        self.alpha = nn.Parameter(1e-3 * torch.randn(len(EDGES), 5))
    def forward(self, x):
        soft = F.softmax(self.alpha, dim=-1)
        h = self.stem(x)
        for b in self.blocks:
            h = b(h, soft) if isinstance(b, Cell) else b(h)
        return self.classifier(self.lastact(h).mean((2, 3)))

H, W, in_c = cfg.get("inputShape", [28, 28, 1])
net = Net(cfg.get("channels", 16), cfg.get("cellsPerStage", 1), cfg.get("stages", 1), in_c, cfg.get("classes", 10))
net.train()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
B = cfg["batch"]
x = torch.randn(B, in_c, H, W)
y = torch.randint(0, cfg.get("classes", 10), (B,))

def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    return loss.item()

for _ in range(cfg.get("warmup", 2)):
    step()
times = []
for _ in range(cfg["steps"]):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1000)
weights = sum(p.numel() for n, p in net.named_parameters() if n != "alpha")
print(json.dumps({"median_ms": statistics.median(times), "threads": torch.get_num_threads(),
                  "params": weights, "alpha_params": net.alpha.numel(), "torch": torch.__version__}))
