"""Write-up 003's notebook NumPy code, as printed in ../shared/seeds/003_15a5cf6772219dc8.txt, as a baseline.

Its setting: 2-4-1 without biases, summed squared error (its gradient 2*(y - output) is the sse gradient,
descended with lr 1 by `+=`), U[0, 1) initialization, the four XOR samples. Transcribed faithfully: the
same NumPy calls in the same order, the plain (not overflow-safe) sigmoid included. Only the weights are
passed in instead of drawn with np.random.rand, so it starts where the backends start.
"""
import numpy as np


def sigmoid(x):
    return 1.0 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    return x * (1.0 - x)


class NeuralNetwork:
    def __init__(self, x, y, weights1, weights2):
        self.input = x
        self.weights1 = np.array(weights1)
        self.weights2 = np.array(weights2)
        self.y = y
        self.output = np.zeros(self.y.shape)

    def feedforward(self):
        self.layer1 = sigmoid(np.dot(self.input, self.weights1))
        self.output = sigmoid(np.dot(self.layer1, self.weights2))

    def backprop(self):
        d_weights2 = np.dot(self.layer1.T, (2 * (self.y - self.output) * sigmoid_derivative(self.output)))
        d_weights1 = np.dot(self.input.T, (np.dot(2 * (self.y - self.output) * sigmoid_derivative(self.output),
                                                  self.weights2.T) * sigmoid_derivative(self.layer1)))
        self.weights1 += d_weights1
        self.weights2 += d_weights2


def train(X, Y, w1, w2, epochs):
    """The notebook's training loop; returns the network (weights1, weights2 and its last output)."""
    nn = NeuralNetwork(X, Y, w1, w2)
    for _ in range(epochs):
        nn.feedforward()
        nn.backprop()
    return nn
