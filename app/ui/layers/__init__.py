"""The layers panel of layered artworks (issue 13): the stack, each layer's class and steps, corrections."""
