package awssim

// Server is the simulator. (The framework fills this in.)
type Server struct{}
