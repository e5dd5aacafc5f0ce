package web

// HoldRenders takes n of s's render slots, as n long renders would, and
// returns the function that gives them back.
func HoldRenders(s *Server, n int) (release func()) {
	for range n {
		s.renders.slots <- struct{}{}
	}
	return func() {
		for range n {
			<-s.renders.slots
		}
	}
}

// RenderWaiting is how many requests wait for a render slot of s.
func RenderWaiting(s *Server) int { return int(s.renders.waiting.Load()) }
