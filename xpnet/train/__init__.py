"""Training loop (``fit``/``evaluate``/``predict``), metrics, and the models of the main job."""
from .metrics import accuracy
from .trainer import History, evaluate, fit, predict

__all__ = ["fit", "evaluate", "predict", "History", "accuracy"]
