"""Screens (``…Screen``) and modal dialogs (``…Dialog``) of the console."""
