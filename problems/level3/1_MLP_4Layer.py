import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Four-layer perceptron: Linear-ReLU, Linear-ReLU, Linear-ReLU, Linear (all with bias).

    Layer widths in_features -> hidden1 -> hidden2 -> hidden3 -> out_features. Weights are
    He-initialised (normal, std sqrt(2 / fan_in)) so the activations keep their size through the
    ReLUs and the output varies from sample to sample rather than being dominated by the biases.
    """

    def __init__(self, in_features: int, hidden1: int, hidden2: int, hidden3: int, out_features: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_features, hidden1), nn.ReLU(),
            nn.Linear(hidden1, hidden2), nn.ReLU(),
            nn.Linear(hidden2, hidden3), nn.ReLU(),
            nn.Linear(hidden3, out_features),
        )
        with torch.no_grad():
            for layer in self.layers:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_features).

        Returns:
            torch.Tensor: (batch_size, out_features).
        """
        return self.layers(x)


batch_size = 4096
in_features = 2048
hidden1 = 4096
hidden2 = 4096
hidden3 = 2048
out_features = 1000
SMALL_SIZES = {"batch_size": 3, "in_features": 33, "hidden1": 101, "hidden2": 67, "hidden3": 51,
               "out_features": 17}


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, hidden1, hidden2, hidden3, out_features]
